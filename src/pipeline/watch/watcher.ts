/**
 * The watch folder: restores whatever lands in a folder, exactly once, and keeps going when things
 * go wrong. chokidar reports paths; a path is taken only once it has settled (stability.ts); its
 * content hash is checked against the durable ledger; a bounded number of files is processed at a
 * time while the rest wait as plain paths (so a burst of thousands costs kilobytes, not images).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { watch } from 'chokidar';
import { DurnUserError, formatError, isUserError } from '../../errors.ts';
import type { WatchListener } from '../events.ts';
import { isIgnoredName } from '../run/inputs.ts';
import { Ledger } from './ledger.ts';
import { snapshot, waitUntilStable } from './stability.ts';

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
  /** Stops taking files, abandons in-flight ones cleanly, closes the ledger. */
  stop(): Promise<void>;
  /** Resolves when nothing is settling, queued or in flight. */
  idle(): Promise<void>;
}

const TRANSIENT = new Set(['EBUSY', 'EAGAIN', 'ENOSPC', 'EMFILE', 'ENFILE', 'ETXTBSY', 'EDQUOT']);

function isTransient(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && TRANSIENT.has(code);
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function startWatch(
  opts: WatchOptions,
  process: FileProcessor,
  emit: WatchListener = () => {},
): WatchHandle {
  const input = resolve(opts.input);
  const out = resolve(opts.out);
  const failedDir = resolve(opts.failed ?? join(out, 'failed'));
  const processedDir = opts.processed ? resolve(opts.processed) : null;
  const ledgerPath = opts.ledgerPath ?? join(out, '.durn', 'watch-ledger.sqlite');
  const excluded = [out, failedDir, processedDir, resolve(ledgerPath, '..')].filter((p): p is string => !!p);
  const settleMs = opts.settleMs ?? 2000;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const maxRetries = opts.maxRetries ?? 5;
  const retryBaseMs = opts.retryBaseMs ?? 500;

  const ledger = new Ledger(ledgerPath);
  const stopping = new AbortController();
  const settling = new Set<string>();
  const queue: string[] = [];
  const queued = new Set<string>();
  let active = 0;
  let idleWaiters: (() => void)[] = [];

  const isExcluded = (p: string) => excluded.some((e) => p === e || p.startsWith(e + '/'));
  const ignored = (p: string) => {
    const abs = resolve(p);
    if (abs === input) return false;
    return isExcluded(abs) || relative(input, abs).split('/').some(isIgnoredName);
  };

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
    if (settling.has(path) || queued.has(path) || stopping.signal.aborted) return;
    settling.add(path);
    depth();
    try {
      const s = await waitUntilStable(path, settleMs, stopping.signal);
      if (s && !stopping.signal.aborted && !queued.has(path)) {
        queued.add(path);
        queue.push(path);
        emit({ type: 'file-queued', file: path });
      }
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
        .catch((err) => emit({ type: 'notice', message: `watch: ${formatError(err)}` }))
        .finally(() => {
          queued.delete(path);
          active -= 1;
          depth();
          pump();
          checkIdle();
        });
    }
  }

  async function handle(path: string): Promise<void> {
    const before = await snapshot(path);
    if (!before) return; // renamed or deleted while queued: nothing to do
    const hash = await hashFile(path).catch(() => null);
    if (!hash) return;
    if (!ledger.needsWork(hash, opts.chainHash, opts.reprocess ?? false)) {
      emit({ type: 'file-skipped', file: path, reason: 'already restored (in the watch ledger)' });
      return;
    }
    const previousOutput = ledger.get(hash, opts.chainHash)?.output ?? null;
    ledger.markInFlight(hash, opts.chainHash, path);
    const info: ProcessInfo = {
      previousOutput,
      claimOutput: (output) => ledger.claimOutput(hash, opts.chainHash, output),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        const { output } = await process(path, stopping.signal, info);
        ledger.markDone(hash, opts.chainHash, path, output);
        await disposeOriginal(path);
        counts();
        return;
      } catch (err) {
        if (stopping.signal.aborted) return; // stays in flight: redone on the next start
        if (!(await snapshot(path))) {
          ledger.forget(hash); // vanished mid-way: not a failure of the photo
          return;
        }
        if (isTransient(err) && attempt <= maxRetries) {
          emit({ type: 'watch-retry', file: path, attempt, error: formatError(err) });
          await new Promise((r) => setTimeout(r, retryBaseMs * 2 ** (attempt - 1)));
          if (stopping.signal.aborted) return;
          continue;
        }
        const reason = formatError(err);
        ledger.markFailed(hash, opts.chainHash, path, reason);
        await quarantine(path, err, reason);
        if (!isUserError(err)) emit({ type: 'notice', message: `unexpected error on ${path}: ${reason}` });
        counts();
        return;
      }
    }
  }

  /** Moves a failed file next to a `.error.txt` saying why (never deleting it). */
  async function quarantine(path: string, err: unknown, reason: string): Promise<void> {
    const rel = relative(input, path);
    const target = join(failedDir, rel.startsWith('..') ? basename(path) : rel);
    await mkdir(resolve(target, '..'), { recursive: true });
    const code = err instanceof DurnUserError ? err.code : ((err as { code?: string })?.code ?? 'ERROR');
    await writeFile(`${target}.error.txt`, `${path}\n${code}: ${reason}\n${new Date().toISOString()}\n`);
    await rename(path, target).catch(() => {}); // if it can't move, it stays; the ledger still knows
  }

  async function disposeOriginal(path: string): Promise<void> {
    if (processedDir) {
      const rel = relative(input, path);
      const target = join(processedDir, rel.startsWith('..') ? basename(path) : rel);
      await mkdir(resolve(target, '..'), { recursive: true });
      await rename(path, target);
    } else if (opts.deleteOriginals) {
      await rm(path);
    }
  }

  const watcher = watch(input, { ignored, ignoreInitial: false, persistent: true });
  const onPath = (p: string) => void settle(resolve(p));
  watcher.on('add', onPath);
  watcher.on('change', onPath);
  watcher.on('error', (err) => emit({ type: 'notice', message: `watch: ${formatError(err)}` }));

  const ready = new Promise<void>((res) => watcher.once('ready', () => res())).then(() => {
    emit({ type: 'watch-start', folder: input, out, recovered: ledger.recovered });
    // Work that was in flight when a previous watcher died and is still in place.
    for (const row of ledger.pending()) if (row.path.startsWith(input + '/')) void settle(row.path);
    counts();
  });

  let stopped: Promise<void> | null = null;
  return {
    ready,
    idle: () =>
      new Promise<void>((res) => {
        idleWaiters.push(res);
        checkIdle();
      }),
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await watcher.close();
        while (active > 0) await new Promise((r) => setTimeout(r, 20));
        ledger.close();
        emit({ type: 'watch-stop' });
        for (const w of idleWaiters) w();
      })();
      return stopped;
    },
  };
}
