/**
 * The watch folder: restores whatever lands in a folder, exactly once, and keeps going when things
 * go wrong. chokidar reports paths; a path is taken only once it has settled (stability.ts); its
 * content hash is checked against the durable ledger; a bounded number of files is processed at a
 * time while the rest wait as plain paths (so a burst of thousands costs kilobytes, not images).
 */
import { open, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { watch } from 'chokidar';
import { DurnUserError, formatError, isUserError } from '../../core/errors.ts';
import type { WatchListener } from '../events.ts';
import { isIgnoredName, isImageName } from '../run/inputs.ts';
import { acquireLock, hashFile, isTransient, moveNoClobber, removeTempFiles } from './files.ts';
import { Ledger, type LedgerRow } from './ledger.ts';
import { type Snapshot, sameSnapshot, snapshot, waitUntilStable } from './stability.ts';
import { validateFolders } from './validate.ts';

export interface WatchOptions {
  readonly input: string;
  readonly out: string;
  /** Move originals here once their output is safely written (default: leave them in place). */
  readonly processed?: string;
  readonly deleteOriginals?: boolean;
  /** Where files that fail go, each with a `.error.txt` (default: `<out>/failed`). */
  readonly failed?: string;
  /** Identifies the restoration (preset + options + weights hashes) in the ledger. */
  readonly chainHash: string;
  readonly settleMs?: number;
  readonly reprocess?: boolean;
  /** Files processed at the same time (each already uses every worker for its tiles). */
  readonly concurrency?: number;
  readonly ledgerPath?: string;
  readonly maxRetries?: number;
  readonly retryBaseMs?: number;
}

export interface ProcessInfo {
  /** The output an earlier, interrupted attempt on the same content claimed (it may be replaced). */
  readonly previousOutput: string | null;
  /** Call before writing: records the output path in the ledger. */
  claimOutput(path: string): void;
}

/** Restores one file; must leave no partial output when the signal aborts. */
export type FileProcessor = (
  file: string,
  signal: AbortSignal,
  info: ProcessInfo,
) => Promise<{ output: string }>;

export interface WatchHandle {
  /** Resolves once the startup scan is done and the watcher is live. */
  readonly ready: Promise<void>;
  /** Resolves once the watcher has stopped (after `stop()`). */
  readonly done: Promise<void>;
  /** Stops taking files, abandons in-flight ones cleanly, closes the ledger. */
  stop(): Promise<void>;
  /** Resolves when nothing is settling, queued or in flight. */
  idle(): Promise<void>;
}

/** Files operating systems drop into folders; never photos. */
const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini', 'icon\r']);

export const defaultLedgerPath = (out: string) => join(resolve(out), '.durn', 'watch-ledger.sqlite');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startWatch(
  opts: WatchOptions,
  process: FileProcessor,
  emit: WatchListener = () => {},
): Promise<WatchHandle> {
  const input = resolve(opts.input);
  const out = resolve(opts.out);
  const failedDir = resolve(opts.failed ?? join(out, 'failed'));
  const processedDir = opts.processed ? resolve(opts.processed) : null;
  const ledgerPath = resolve(opts.ledgerPath ?? defaultLedgerPath(out));
  await validateFolders({ input, out, failed: failedDir, processed: processedDir, opts });
  const excluded = [out, failedDir, processedDir, resolve(ledgerPath, '..')].filter((p): p is string => !!p);
  const settleMs = opts.settleMs ?? 2000;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const maxRetries = opts.maxRetries ?? 5;
  const retryBaseMs = opts.retryBaseMs ?? 500;
  const chain = opts.chainHash;

  const releaseLock = await acquireLock(`${ledgerPath}.lock`);
  let ledger: Ledger;
  try {
    ledger = new Ledger(ledgerPath);
    // Temp files can only be left by a watcher that was killed: we hold the lock, nobody else writes.
    const removed = await removeTempFiles(out);
    if (removed > 0) emit({ type: 'notice', message: `removed ${removed} partial file(s) left by a crash` });
  } catch (err) {
    await releaseLock();
    throw err;
  }

  const stopping = new AbortController();
  const settling = new Set<string>();
  const queue: string[] = [];
  /** Paths in the queue or being processed. */
  const queued = new Set<string>();
  /** Paths that changed while queued or processed: settled again afterwards. */
  const dirty = new Set<string>();
  /** Content hashes being restored, with the other paths of the same content waiting on them. */
  const activeHashes = new Map<string, string[]>();
  let active = 0;
  let idleWaiters: (() => void)[] = [];

  const isExcluded = (p: string) => excluded.some((e) => p === e || p.startsWith(e + sep));
  const ignored = (p: string) => {
    const abs = resolve(p);
    if (!abs.startsWith(input + sep)) return false; // the root and its ancestors are never ignored
    const parts = relative(input, abs).split(sep);
    if (isExcluded(abs) || parts.some(isIgnoredName) || SYSTEM_FILES.has(parts.at(-1)!.toLowerCase()))
      return true;
    // Only photos, as `durn restore` finds them in folders: sidecars (.xmp), notes and the like are
    // someone else's files, never moved to the failed folder. (Folders have no extension: kept.)
    return extname(abs) !== '' && !isImageName(abs);
  };

  const notice = (message: string) => emit({ type: 'notice', message });
  const counts = () => {
    const c = ledger.counts();
    emit({ type: 'ledger', done: c.done, failed: c.failed, pending: c.pending + c.inFlight });
  };
  const depth = () => emit({ type: 'watch-queue', depth: queue.length + active, settling: settling.size });
  const checkIdle = () => {
    if (settling.size === 0 && queue.length === 0 && active === 0) {
      for (const w of idleWaiters) w();
      idleWaiters = [];
    }
  };

  async function settle(path: string): Promise<void> {
    if (stopping.signal.aborted) return;
    if (queued.has(path)) {
      dirty.add(path);
      return;
    }
    if (settling.has(path)) return;
    settling.add(path);
    depth();
    try {
      const s = await waitUntilStable(path, settleMs, stopping.signal, () =>
        emit({
          type: 'file-skipped',
          file: path,
          reason: 'empty file (0 bytes); restored once it has content',
        }),
      );
      // A name without an extension says nothing: its first bytes decide (tethering tools write such).
      const photo = s !== null && (extname(path) !== '' || (await looksLikeImage(path)));
      if (s && photo && !stopping.signal.aborted && !queued.has(path)) {
        queued.add(path);
        queue.push(path);
        emit({ type: 'file-queued', file: path });
      }
    } catch (err) {
      notice(`watch: ${path}: ${formatError(err)}`);
    } finally {
      settling.delete(path);
      depth();
      pump();
      checkIdle();
    }
  }

  function pump(): void {
    while (active < concurrency && queue.length > 0 && !stopping.signal.aborted) {
      const path = queue.shift()!;
      active += 1;
      handle(path)
        .catch((err) => notice(`watch: ${path}: ${formatError(err)}`))
        .finally(() => {
          queued.delete(path);
          active -= 1;
          if (dirty.delete(path)) void settle(path);
          depth();
          pump();
          checkIdle();
        });
    }
  }

  async function handle(path: string): Promise<void> {
    const before = await snapshot(path);
    if (!before) return; // renamed or deleted while queued: its new name (if any) comes as its own event
    let hash: string;
    try {
      hash = await hashFile(path);
    } catch (err) {
      if (await snapshot(path)) emit(failedEvent(path, err));
      return;
    }
    const after = await snapshot(path);
    if (!after) return;
    if (!sameSnapshot(before, after)) {
      dirty.add(path); // written to again: not finished after all
      return;
    }
    const waiting = activeHashes.get(hash);
    if (waiting) {
      waiting.push(path); // same content as a photo being restored now: decided once that one ends
      return;
    }
    activeHashes.set(hash, []);
    try {
      await restoreOnce(path, hash, before);
    } finally {
      const deferred = activeHashes.get(hash) ?? [];
      activeHashes.delete(hash);
      for (const p of deferred) void settle(p);
    }
  }

  async function restoreOnce(path: string, hash: string, before: Snapshot): Promise<void> {
    const row = ledger.get(hash, chain);
    if (!ledger.needsWork(hash, chain, opts.reprocess ?? false)) {
      emit({ type: 'file-skipped', file: path, reason: skipReason(row) });
      // A done photo still here: the watcher died between recording it and moving the original.
      if (row?.state === 'done' && row.output && (await exists(row.output))) await dispose(path, row.output);
      return;
    }
    ledger.markInFlight(hash, chain, path);
    const info: ProcessInfo = {
      previousOutput: row?.output ?? null,
      claimOutput: (output) => ledger.claimOutput(hash, chain, output),
    };
    for (let attempt = 1; ; attempt++) {
      let output: string;
      try {
        ({ output } = await process(path, stopping.signal, info));
      } catch (err) {
        if (stopping.signal.aborted) {
          // Left in flight: the ledger turns it back into pending work on the next start.
          emit({ type: 'file-skipped', file: path, reason: 'watch stopped; restored on the next start' });
          return;
        }
        const now = await snapshot(path);
        if (!now || !sameSnapshot(before, now)) {
          // Vanished (not the photo's fault) or still being written (a stalled copy): not a failure.
          ledger.remove(hash, chain);
          if (now) dirty.add(path);
          return;
        }
        if ((isTransient(err) || !aboutThePhoto(err)) && attempt <= maxRetries) {
          emit({ type: 'watch-retry', file: path, attempt, error: formatError(err) });
          await sleep(retryBaseMs * 2 ** (attempt - 1));
          if (stopping.signal.aborted) return;
          continue;
        }
        if (!aboutThePhoto(err)) {
          // Not the photo's fault (configuration, engine, disk): it stays where it is and is
          // tried again on the next start.
          ledger.remove(hash, chain);
          emit({
            ...failedEvent(path, err),
            error: `${failedEvent(path, err).error} (left in place; tried again on the next start)`,
          });
          return;
        }
        await fail(path, hash, err);
        return;
      }
      ledger.markDone(hash, chain, path, output);
      counts();
      await dispose(path, output);
      return;
    }
  }

  async function fail(path: string, hash: string, err: unknown): Promise<void> {
    const event = failedEvent(path, err);
    ledger.markFailed(hash, chain, path, event.error);
    emit(event);
    if (!isUserError(err)) notice(`unexpected error on ${path}: ${event.error}`);
    try {
      await quarantine(path, event);
    } catch (moveErr) {
      notice(`could not move ${path} to the failed folder: ${formatError(moveErr)}`);
    }
    counts();
  }

  /** Moves a failed file into the failed folder next to a `.error.txt` saying why. */
  async function quarantine(
    path: string,
    e: { error: string; code: string; hint?: string | undefined },
  ): Promise<void> {
    const moved = await moveNoClobber(path, mirror(failedDir, path));
    await writeFile(
      `${moved}.error.txt`,
      [
        `durn could not restore ${path}`,
        `reason (${e.code}): ${e.error.split('\n')[0]}`,
        ...(e.hint ? [`hint: ${e.hint}`] : []),
        `when: ${new Date().toISOString()}`,
        `to try again: durn watch --forget ${JSON.stringify(moved)} --out ${JSON.stringify(out)}`,
        `  (moves it back to ${path} and forgets it; a running watcher restores it)`,
        '',
      ].join('\n'),
    );
  }

  /** The original, once its output is safely on disk: left in place, moved, or deleted. */
  async function dispose(path: string, output: string): Promise<void> {
    if (!processedDir && !opts.deleteOriginals) return;
    try {
      if (!(await stat(output)).isFile()) return; // never let an original go without its output
      if (processedDir) await moveNoClobber(path, mirror(processedDir, path));
      else await rm(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        notice(`restored ${path}, but could not ${processedDir ? 'move' : 'delete'} it: ${formatError(err)}`);
      }
    }
  }

  /** `dir` + the file's path relative to the input folder. */
  const mirror = (dir: string, path: string) => {
    const rel = relative(input, path);
    return join(dir, rel.startsWith('..') ? basename(path) : rel);
  };

  const watcher = watch(input, { ignored, ignoreInitial: false, persistent: true });
  const onPath = (p: string) => void settle(resolve(p));
  watcher.on('add', onPath);
  watcher.on('change', onPath);
  watcher.on('error', (err) => notice(`watch: ${formatError(err)}`));

  const ready = new Promise<void>((res) => watcher.once('ready', () => res())).then(() => {
    emit({ type: 'watch-start', folder: input, out, recovered: ledger.recovered });
    // Work that was in flight when a previous watcher died and is still in place.
    for (const r of ledger.pending()) if (r.path.startsWith(input + sep)) void settle(r.path);
    counts();
    depth();
  });

  let stopped: Promise<void> | null = null;
  let markDone: () => void = () => {};
  const done = new Promise<void>((res) => {
    markDone = res;
  });
  return {
    ready,
    done,
    idle: () =>
      new Promise<void>((res) => {
        idleWaiters.push(res);
        checkIdle();
      }),
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await watcher.close();
        while (active > 0) await sleep(20);
        ledger.close();
        await releaseLock();
        emit({ type: 'watch-stop' });
        for (const w of idleWaiters) w();
        markDone();
      })();
      return stopped;
    },
  };
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

function skipReason(row: LedgerRow | null): string {
  if (row?.state === 'done') return `already restored to ${row.output}`;
  if (row?.state === 'failed') {
    return `failed before (${(row.error ?? '').split('\n')[0]}); \`durn watch --forget\` it to try again`;
  }
  return 'already restored with another preset or weights (use --reprocess to restore it again)';
}

function failedEvent(file: string, err: unknown) {
  return {
    type: 'file-failed' as const,
    file,
    error: formatError(err),
    code: isUserError(err) ? err.code : typeof (err as { code?: unknown })?.code === 'string' ? 'IO' : 'BUG',
    ...(err instanceof DurnUserError && err.hint ? { hint: err.hint } : {}),
  };
}

/** Errors that say something about the photo itself; anything else never sends it to failed/. */
const PHOTO_CODES = new Set(['INVALID_INPUT', 'UNSUPPORTED_FORMAT', 'IMAGE_TOO_LARGE']);

export function aboutThePhoto(err: unknown): boolean {
  return isUserError(err) && PHOTO_CODES.has(err.code);
}

/** JPEG, PNG, GIF, TIFF, WebP or HEIF/AVIF by its first bytes. */
async function looksLikeImage(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return false;
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(12), 0, 12, 0);
    const b = buffer.subarray(0, bytesRead);
    const at = (offset: number, text: string) =>
      b.subarray(offset, offset + text.length).toString('latin1') === text;
    return (
      (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) ||
      at(0, '\x89PNG') ||
      at(0, 'GIF8') ||
      at(0, 'II*\0') ||
      at(0, 'MM\0*') ||
      (at(0, 'RIFF') && at(8, 'WEBP')) ||
      at(4, 'ftyp')
    );
  } finally {
    await fh.close();
  }
}
