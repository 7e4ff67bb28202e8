/**
 * `watchFolder()`: the watch folder wired to the restoration pipeline. The chain (task or preset,
 * options, weights file hashes, output format) is hashed for the ledger; each settled file is
 * restored by the same code as `durn restore`, into the output folder, mirroring sub-folders.
 */
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isUserError } from '../../core/errors.ts';
import type { WatchListener } from '../events.ts';
import { TilePool } from '../pool/pool.ts';
import type { QueueTarget } from '../queue/watch.ts';
import {
  type ParsedRestoreOptions,
  parseRestoreOptions,
  type RestoreOptions,
  tilingOf,
} from '../run/options.ts';
import { outputPath } from '../run/outputs.ts';
import { checkBitDepth, checkTiling, checkWeights } from '../run/preflight.ts';
import { fileSha256, restoreFile } from '../run/restore-file.ts';
import { resolveSteps } from '../run/run.ts';
import { numbered } from './files.ts';
import { type ProcessInfo, startWatch, type WatchHandle, type WatchOptions } from './watcher.ts';

export { Ledger } from './ledger.ts';
export { defaultLedgerPath, type WatchHandle } from './watcher.ts';

export type WatchFolderOptions = Omit<RestoreOptions, 'inputs' | 'outDir' | 'overwrite'> &
  Omit<WatchOptions, 'chainHash' | 'out'> & {
    readonly out: string;
    /** Distributed mode: enqueue each photo for `durn worker`s instead of restoring it here. */
    readonly queue?: QueueTarget;
  };

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** Hash of what determines the result: the steps, their options, the weights' content, the encoding. */
export async function chainHash(o: ParsedRestoreOptions): Promise<string> {
  const steps = resolveSteps(o);
  const parts = await Promise.all(
    steps.map(async (s) => ({
      task: s.plugin.id,
      options: s.options,
      weights: await Promise.all(
        (Object.entries(s.weights) as [string, string][]).map(async ([n, p]) => [n, await fileSha256(p)]),
      ),
    })),
  );
  const encoding = { format: o.format ?? null, quality: o.quality ?? null, bitDepth: o.bitDepth ?? null };
  return createHash('sha256').update(JSON.stringify({ parts, encoding })).digest('hex');
}

export async function watchFolder(
  options: WatchFolderOptions,
  emit: WatchListener = () => {},
): Promise<WatchHandle> {
  const {
    input,
    out,
    processed,
    deleteOriginals,
    failed,
    settleMs,
    reprocess,
    concurrency,
    ledgerPath,
    maxRetries,
    retryBaseMs,
    queue,
    ...restore
  } = options;
  const o = parseRestoreOptions({ ...restore, inputs: [input], outDir: out });
  const steps = resolveSteps(o);
  // Configuration errors stop the watch before it takes a photo: found per photo, they would send
  // every photo in turn to the failed folder.
  const tiling = tilingOf(o);
  checkTiling(steps, tiling);
  if (o.bitDepth === 16) {
    // Outputs keep each photo's format unless one is set: 16 bits needs it set to PNG or TIFF.
    checkBitDepth(
      16,
      o.format ?? 'jpeg',
      o.format ? 'the format asked for' : 'the format of JPEG photos (no format set)',
    );
  }
  await checkWeights(steps);
  const hash = await chainHash(o);
  // Queue mode loads BullMQ only when asked for, and restores nothing here (no worker threads).
  const queued = queue ? await (await import('../queue/watch.ts')).createQueuedRestorer(o, queue) : null;
  const pool = queued
    ? null
    : new TilePool({
        ...(o.workers ? { workers: o.workers } : {}),
        ...(o.engine ? { engine: o.engine } : {}),
        ...(o.device ? { device: o.device } : {}),
        ...(o.precision ? { precision: o.precision } : {}),
        onNotice: (message) => emit({ type: 'notice', message }),
      });
  /**
   * The pool as the restorer sees it, minus mid-tile cancellation: aborting a tile terminates its
   * worker thread inside the inference engine, which can take the whole process down (SIGABRT) on
   * Ctrl-C. Stopping instead lets the running tiles end (one per worker at most) and starts no
   * more; the file is then abandoned between tiles and nothing is written.
   */
  const calmPool = new Proxy((pool ?? {}) as TilePool, {
    get(target, prop) {
      if (prop === 'run') return ((n, w, x) => target.run(n, w, x)) satisfies TilePool['run'];
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  /** Output paths being written now, so two photos restored at once never pick the same name. */
  const reserved = new Set<string>();

  async function chooseOutput(planned: string, info: ProcessInfo, from: number): Promise<string> {
    for (let n = from; ; n++) {
      const t = numbered(planned, n);
      if (reserved.has(t)) continue;
      // Our own output from an interrupted attempt may be replaced; anyone else's output never is.
      if (t !== info.previousOutput && (await exists(t))) continue;
      if (reserved.has(t)) continue; // taken while we looked
      reserved.add(t);
      return t;
    }
  }

  const restoreOne = async (file: string, signal: AbortSignal, info: ProcessInfo) => {
    const planned = outputPath(file, o.format ?? null, {
      outDir: out,
      suffix: o.suffix ?? '',
      baseDir: input,
    });
    for (let from = 1; ; ) {
      const target = await chooseOutput(planned, info, from);
      try {
        info.claimOutput(target);
        const t0 = performance.now();
        if (queued) {
          const q = await queued.restore(file, target, resolve(out), target === info.previousOutput, signal);
          const { seconds, megapixels, bytesIn, bytesOut, worker } = q.result;
          emit({ type: 'file-done', file, output: q.output, seconds, megapixels, bytesIn, bytesOut, worker });
          return { output: q.output };
        }
        const r = await restoreFile(
          file,
          target,
          steps,
          {
            ...(o.format ? { format: o.format } : {}),
            ...(o.quality ? { quality: o.quality } : {}),
            ...(o.bitDepth ? { bitDepth: o.bitDepth } : {}),
            overwrite: target === info.previousOutput,
            ...(o.maxPixels ? { maxPixels: o.maxPixels } : {}),
            tiling,
            recordedOptions: { ...(o.preset ? { preset: o.preset } : {}), watch: true },
          },
          { pool: calmPool, emit, signal },
        );
        emit({ type: 'file-done', file, seconds: (performance.now() - t0) / 1000, ...r });
        return { output: r.output };
      } catch (err) {
        // Someone else wrote that name between our check and our write: take the next one.
        if (isUserError(err) && err.code === 'OUTPUT_EXISTS' && !signal.aborted && from < 100) {
          from = Math.max(2, from + 1);
          continue;
        }
        throw err;
      } finally {
        reserved.delete(target);
      }
    }
  };

  let handle: WatchHandle;
  try {
    handle = await startWatch(
      {
        input,
        out,
        chainHash: hash,
        ...(processed ? { processed } : {}),
        ...(deleteOriginals ? { deleteOriginals } : {}),
        ...(failed ? { failed } : {}),
        ...(settleMs !== undefined ? { settleMs } : {}),
        ...(reprocess ? { reprocess } : {}),
        // Queue mode: enough photos in flight to keep a farm of workers busy.
        concurrency: concurrency ?? pool?.workers ?? 32,
        ...(ledgerPath ? { ledgerPath } : {}),
        ...(maxRetries !== undefined ? { maxRetries } : {}),
        ...(retryBaseMs !== undefined ? { retryBaseMs } : {}),
      },
      restoreOne,
      emit,
    );
  } catch (err) {
    await pool?.close();
    await queued?.close();
    throw err;
  }
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= handle.stop().finally(async () => {
      await pool?.close();
      await queued?.close();
    });
    return stopped;
  };
  return {
    ready: handle.ready,
    done: handle.done.then(() => stopped ?? undefined),
    idle: handle.idle,
    stop,
  };
}
