/**
 * `watchFolder()`: the watch folder wired to the restoration pipeline. The chain (task or preset,
 * options, weights file hashes) is hashed for the ledger; each settled file is restored by the same
 * code as `durn restore`, into the output folder, mirroring sub-folders.
 */
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { WatchListener } from '../events.ts';
import { TilePool } from '../pool/pool.ts';
import { type ParsedRestoreOptions, parseRestoreOptions, type RestoreOptions } from '../run/options.ts';
import { outputPath } from '../run/outputs.ts';
import { fileSha256, restoreFile } from '../run/restore-file.ts';
import { resolveSteps } from '../run/run.ts';
import { startWatch, type WatchHandle, type WatchOptions } from './watcher.ts';

export { Ledger } from './ledger.ts';
export type { WatchHandle } from './watcher.ts';

export type WatchFolderOptions = Omit<RestoreOptions, 'inputs' | 'outDir' | 'overwrite'> &
  Omit<WatchOptions, 'chainHash' | 'out'> & { readonly out: string };

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

/** Hash of what determines the result: the steps, their options, and the weights files' content. */
export async function chainHash(o: ParsedRestoreOptions): Promise<string> {
  const steps = resolveSteps(o);
  const parts = await Promise.all(
    steps.map(async (s) => ({
      task: s.plugin.id,
      options: s.options,
      weights: await Promise.all(Object.entries(s.weights).map(async ([n, p]) => [n, await fileSha256(p)])),
    })),
  );
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
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
    ...restore
  } = options;
  const o = parseRestoreOptions({ ...restore, inputs: [input], outDir: out });
  const steps = resolveSteps(o);
  const hash = await chainHash(o);
  const pool = new TilePool({
    ...(o.workers ? { workers: o.workers } : {}),
    engine: o.engine ?? 'auto',
    device: o.device ?? 'auto',
    onNotice: (message) => emit({ type: 'notice', message }),
  });
  const handle = startWatch(
    {
      input,
      out,
      chainHash: hash,
      ...(processed ? { processed } : {}),
      ...(deleteOriginals ? { deleteOriginals } : {}),
      ...(failed ? { failed } : {}),
      ...(settleMs !== undefined ? { settleMs } : {}),
      ...(reprocess ? { reprocess } : {}),
      concurrency: concurrency ?? pool.workers,
      ...(ledgerPath ? { ledgerPath } : {}),
    },
    async (file, signal, info) => {
      const planned = outputPath(file, o.format ?? null, {
        outDir: out,
        suffix: o.suffix ?? '',
        baseDir: input,
      });
      // Our own output from an interrupted attempt may be replaced; anyone else's output never is.
      let target = planned;
      for (let n = 2; target !== info.previousOutput && (await exists(target)); n++) {
        const ext = extname(planned);
        target = join(`${planned.slice(0, -ext.length)}-${n}${ext}`);
      }
      info.claimOutput(target);
      const t0 = performance.now();
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
          tiling: {
            ...(o.tile ? { tile: o.tile } : {}),
            ...(o.overlap !== undefined ? { overlap: o.overlap } : {}),
          },
          recordedOptions: { ...(o.preset ? { preset: o.preset } : {}), watch: true },
        },
        { pool, emit, signal },
      );
      emit({ type: 'file-done', file, seconds: (performance.now() - t0) / 1000, ...r });
      return { output: r.output };
    },
    emit,
  );
  return {
    ready: handle.ready,
    idle: handle.idle,
    stop: async () => {
      await handle.stop();
      await pool.close();
    },
  };
}
