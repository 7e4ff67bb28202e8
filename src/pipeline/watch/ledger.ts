/**
 * The watch folder's durable ledger (SQLite through node:sqlite, WAL, synchronous=FULL): which
 * photo contents were restored with which chain. Keyed by content hash, so a renamed or re-copied
 * photo is recognised, and by the chain hash (preset + options + weights hashes), so changing the
 * preset or weights can make photos eligible again, but only when asked (`reprocess`).
 *
 * States: pending → in-flight → done | failed. A crash (even kill -9) leaves rows in-flight; on
 * open they go back to pending, so work in flight is redone and finished work never is.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { ensureDirSync } from '../../core/fs/atomic.ts';

export type LedgerState = 'pending' | 'in-flight' | 'done' | 'failed';

export interface LedgerRow {
  readonly contentHash: string;
  readonly chainHash: string;
  readonly path: string;
  readonly state: LedgerState;
  readonly output: string | null;
  readonly error: string | null;
  readonly attempts: number;
  readonly updatedAt: number;
}

export interface LedgerCounts {
  readonly pending: number;
  readonly inFlight: number;
  readonly done: number;
  readonly failed: number;
}

interface RawRow {
  content_hash: string;
  chain_hash: string;
  path: string;
  state: LedgerState;
  output: string | null;
  error: string | null;
  attempts: number;
  updated_at: number;
}

const toRow = (r: RawRow): LedgerRow => ({
  contentHash: r.content_hash,
  chainHash: r.chain_hash,
  path: r.path,
  state: r.state,
  output: r.output,
  error: r.error,
  attempts: r.attempts,
  updatedAt: r.updated_at,
});

export class Ledger {
  private readonly db: DatabaseSync;
  /** Rows that were in flight when the previous watcher died, now pending again. */
  readonly recovered: number;

  /**
   * `recover: false` opens without turning in-flight rows back into pending work: for `--status`
   * and `--forget` beside a running watcher, whose in-flight rows are really in flight.
   */
  constructor(file: string, opts: { recover?: boolean } = {}) {
    if (file !== ':memory:') ensureDirSync(dirname(file));
    this.db = new (sqlite().DatabaseSync)(file);
    this.db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      PRAGMA busy_timeout = 5000;
      CREATE TABLE IF NOT EXISTS files (
        content_hash TEXT NOT NULL,
        chain_hash TEXT NOT NULL,
        path TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'in-flight', 'done', 'failed')),
        output TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (content_hash, chain_hash)
      );
      CREATE INDEX IF NOT EXISTS files_path ON files (path);
      CREATE INDEX IF NOT EXISTS files_state ON files (state);
    `);
    if (opts.recover === false) {
      this.recovered = 0;
    } else {
      const res = this.db.prepare(`UPDATE files SET state = 'pending' WHERE state = 'in-flight'`).run();
      this.recovered = Number(res.changes);
    }
  }

  /**
   * Whether a photo with this content still needs restoring under this chain. Done under another
   * chain counts as done unless `reprocess`; failed counts as done (the failure is recorded and the
   * file moved) unless its content changes, which gives it another hash.
   */
  needsWork(contentHash: string, chainHash: string, reprocess: boolean): boolean {
    const rows = this.db
      .prepare('SELECT * FROM files WHERE content_hash = ?')
      .all(contentHash) as unknown as RawRow[];
    const same = rows.find((r) => r.chain_hash === chainHash);
    if (same) return same.state === 'pending' || same.state === 'in-flight';
    if (rows.some((r) => r.state === 'done' || r.state === 'failed')) return reprocess;
    return true;
  }

  private upsert(
    contentHash: string,
    chainHash: string,
    path: string,
    state: LedgerState,
    extra: { output?: string | null; error?: string | null; attempt?: boolean } = {},
  ): void {
    this.db
      .prepare(
        `INSERT INTO files (content_hash, chain_hash, path, state, output, error, attempts, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (content_hash, chain_hash) DO UPDATE SET
           path = excluded.path, state = excluded.state,
           output = COALESCE(excluded.output, files.output), error = excluded.error,
           attempts = files.attempts + ?, updated_at = excluded.updated_at`,
      )
      .run(
        contentHash,
        chainHash,
        path,
        state,
        extra.output ?? null,
        extra.error ?? null,
        extra.attempt ? 1 : 0,
        Date.now(),
        extra.attempt ? 1 : 0,
      );
  }

  markPending(contentHash: string, chainHash: string, path: string): void {
    this.upsert(contentHash, chainHash, path, 'pending');
  }

  markInFlight(contentHash: string, chainHash: string, path: string): void {
    this.upsert(contentHash, chainHash, path, 'in-flight', { attempt: true });
  }

  /** Records the output a restoration is about to write, so a redo after a crash may replace it. */
  claimOutput(contentHash: string, chainHash: string, output: string): void {
    this.db
      .prepare('UPDATE files SET output = ? WHERE content_hash = ? AND chain_hash = ?')
      .run(output, contentHash, chainHash);
  }

  get(contentHash: string, chainHash: string): LedgerRow | null {
    const r = this.db
      .prepare('SELECT * FROM files WHERE content_hash = ? AND chain_hash = ?')
      .get(contentHash, chainHash) as unknown as RawRow | undefined;
    return r ? toRow(r) : null;
  }

  markDone(contentHash: string, chainHash: string, path: string, output: string): void {
    this.upsert(contentHash, chainHash, path, 'done', { output });
  }

  markFailed(contentHash: string, chainHash: string, path: string, error: string): void {
    this.upsert(contentHash, chainHash, path, 'failed', { error });
  }

  /** Rows still to do (pending, including those recovered from a crash), oldest first. */
  pending(): LedgerRow[] {
    return (
      this.db
        .prepare(`SELECT * FROM files WHERE state = 'pending' ORDER BY updated_at`)
        .all() as unknown as RawRow[]
    ).map(toRow);
  }

  byPath(path: string): LedgerRow[] {
    return (this.db.prepare('SELECT * FROM files WHERE path = ?').all(path) as unknown as RawRow[]).map(
      toRow,
    );
  }

  /** Drops the record of one content under one chain (its file vanished or changed mid-way). */
  remove(contentHash: string, chainHash: string): void {
    this.db
      .prepare('DELETE FROM files WHERE content_hash = ? AND chain_hash = ?')
      .run(contentHash, chainHash);
  }

  /** Forgets every record of a file (by its path or content hash), making it eligible again. */
  forget(pathOrHash: string): number {
    const res = this.db
      .prepare('DELETE FROM files WHERE path = ? OR content_hash = ?')
      .run(pathOrHash, pathOrHash);
    return Number(res.changes);
  }

  counts(): LedgerCounts {
    const rows = this.db
      .prepare('SELECT state, COUNT(*) AS n FROM files GROUP BY state')
      .all() as unknown as {
      state: LedgerState;
      n: number;
    }[];
    const get = (s: LedgerState) => Number(rows.find((r) => r.state === s)?.n ?? 0);
    return { pending: get('pending'), inFlight: get('in-flight'), done: get('done'), failed: get('failed') };
  }

  recent(limit: number): LedgerRow[] {
    return (
      this.db
        .prepare('SELECT * FROM files ORDER BY updated_at DESC LIMIT ?')
        .all(limit) as unknown as RawRow[]
    ).map(toRow);
  }

  close(): void {
    this.db.close();
  }
}

/**
 * node:sqlite, loaded when a ledger is first opened rather than when durn is imported: only the
 * watch folder needs it, and on Node 22 it is still experimental (an ExperimentalWarning printed
 * into any host application that merely imported durn).
 */
function sqlite(): typeof import('node:sqlite') {
  return createRequire(import.meta.url)('node:sqlite') as typeof import('node:sqlite');
}
