/**
 * A batch restoration run: inputs expanded, the chain resolved once, files restored through one
 * worker pool, every outcome reported as an event. One bad file never stops the run; the summary
 * says what failed and why. Pause holds new tiles, cancel drops the current files, stop finishes
 * nothing partial: outputs appear only complete, by rename.
 */
import { stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { DurnUserError, formatError, isUserError } from '../../core/errors.ts';
import { usableFolder } from '../../core/fs/atomic.ts';
import { settingsFromEnv } from '../../models/engines/index.ts';
import type { NetworkId } from '../../models/graph/types.ts';
import { resolveWeights } from '../../plugins/weights-path.ts';
import type { RunEvent, RunEventListener, RunSummary } from '../events.ts';
import { TilePool } from '../pool/pool.ts';
import { loadPresets, resolveTaskOrPreset } from '../presets/index.ts';
import { Gate } from './gate.ts';
import { expandInputs } from './inputs.ts';
import { type ParsedRestoreOptions, parseRestoreOptions, type RestoreOptions, tilingOf } from './options.ts';
import { formatOfPath, imageExtension } from './outputs.ts';
import { planOutputs } from './plan.ts';
import { checkBitDepth, checkTiling, checkWeights } from './preflight.ts';
import { restoreFile } from './restore-file.ts';
import type { ResolvedStep } from './restore-tensor.ts';

export type { RestoreOptions } from './options.ts';

export interface RunController {
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Abandons the files being restored now (no output is written for them); the run goes on. */
  cancelCurrent(): void;
  /** Starts nothing new, abandons files in flight cleanly, resolves when the run has ended. */
  stop(): Promise<void>;
}

export interface RunHandle {
  readonly controller: RunController;
  readonly done: Promise<RunSummary>;
}

/** The steps of a task or preset with their weights files resolved (missing weights fail here). */
export function resolveSteps(o: ParsedRestoreOptions): ResolvedStep[] {
  const request = { ...(o.task ? { task: o.task } : {}), ...(o.preset ? { preset: o.preset } : {}) };
  const chain = resolveTaskOrPreset(request, loadPresets());
  return chain.steps.map(({ plugin, options }) => {
    const { '*': file, ...byTask } = o.weights ?? {};
    const overrides = { ...(file ? { file } : {}), byTask };
    const weights: Partial<Record<NetworkId, string>> = {};
    const missing: { network: NetworkId; error: DurnUserError }[] = [];
    for (const network of plugin.networks) {
      try {
        weights[network] = resolveWeights(plugin, network, overrides).path;
      } catch (err) {
        if (!(isUserError(err) && err.code === 'WEIGHTS_MISSING')) throw err;
        missing.push({ network, error: err });
      }
    }
    // A task with none of its weights can restore nothing: say so before touching any photo.
    // One with some (e.g. grey but not colour) fails only the photos that need the missing file.
    if (Object.keys(weights).length === 0) throw allMissing(plugin.id, missing);
    return { plugin, options, weights };
  });
}

/**
 * One error for a task none of whose networks has weights. With several networks (denoise: grey
 * and colour) it names every file looked for, not just the first, so one message tells the user
 * everything to fetch.
 */
function allMissing(
  task: string,
  missing: readonly { network: NetworkId; error: DurnUserError }[],
): DurnUserError {
  const first = missing[0]!.error;
  if (missing.length === 1 || missing.some((m) => m.error.file === undefined)) return first;
  const files = missing.map((m) => m.error.file!);
  const dirs = first.message.match(/ in (.*)$/)?.[1] ?? 'the models folders';
  return new DurnUserError(
    'WEIGHTS_MISSING',
    `No weights for ${task} (networks ${missing.map((m) => m.network).join(', ')}): ` +
      `looked for ${files.join(' and ')} in ${dirs}`,
    {
      file: files[0]!,
      hint:
        `train them with \`durn train ${task} --data <folder>\`, or import the authors' released ` +
        `checkpoints with \`durn models import <file.pt> --arch <network> --out <models folder>/<file>\` ` +
        `(${missing.map((m) => `${m.network} → ${m.error.file}`).join(', ')}), or pass a file with --weights`,
    },
  );
}

export function startRun(options: RestoreOptions, onEvent: RunEventListener): RunHandle {
  const gate = new Gate();
  const stopping = new AbortController();
  const current = new Set<AbortController>();
  let finished: Promise<RunSummary> | null = null;

  const controller: RunController = {
    pause: () => gate.close(),
    resume: () => gate.open(),
    get paused() {
      return gate.paused;
    },
    cancelCurrent: () => {
      for (const c of current) c.abort();
    },
    stop: async () => {
      stopping.abort();
      for (const c of current) c.abort();
      gate.open();
      await finished?.catch(() => {});
    },
  };

  finished = (async () => {
    const o = parseRestoreOptions(options);
    const steps = resolveSteps(o);
    const tiling = tilingOf(o);
    checkTiling(steps, tiling);
    if (o.format) checkBitDepth(o.bitDepth, o.format, 'the format asked for');
    const found = await expandInputs(o.inputs, o.outDir ? { exclude: [o.outDir] } : {});
    const baseDir = o.inputs.length === 1 ? resolvePath(o.inputs[0]!) : undefined;
    const named = new Set<string>();
    for (const i of o.inputs) if ((await stat(i).catch(() => null))?.isFile()) named.add(resolvePath(i));
    const plan = await planOutputs(found, {
      format: o.format ?? null,
      naming: {
        ...(o.outDir ? { outDir: o.outDir } : {}),
        ...(o.suffix !== undefined ? { suffix: o.suffix } : {}),
        ...(baseDir ? { baseDir } : {}),
      },
      overwrite: o.overwrite ?? false,
      named,
    });
    for (const f of plan.files) {
      // A named file without an image extension fails on its own when decoded; not here.
      const format = imageExtension(f.output) ? formatOfPath(f.output) : null;
      if (format) checkBitDepth(o.bitDepth, format, `the output ${f.output}`);
    }
    if (o.outDir && plan.files.length > 0) await usableFolder(o.outDir);
    if (plan.files.length > 0) await checkWeights(steps);
    const files = plan.files.map((f) => f.input);
    const outputs = new Map(plan.files.map((f) => [f.input, f.output]));
    const pool = new TilePool({
      ...(o.workers ? { workers: o.workers } : {}),
      ...(o.engine ? { engine: o.engine } : {}),
      ...(o.device ? { device: o.device } : {}),
      ...(o.precision ? { precision: o.precision } : {}),
      onNotice: (message) => onEvent({ type: 'notice', message }),
    });
    const started = performance.now();
    let done = 0;
    let skipped = 0;
    let cancelled = 0;
    let megapixels = 0;
    const failures: { file: string; error: string }[] = [];
    const emit = (e: RunEvent) => onEvent(e);
    emit({
      type: 'run-start',
      files: files.length + plan.skipped.length,
      chain: steps.map((s) => s.plugin.id).join(' → '),
      engine: o.engine ?? settingsFromEnv().DURN_ENGINE ?? 'auto',
    });
    for (const f of files) emit({ type: 'file-queued', file: f });
    for (const s of plan.skipped) {
      emit({ type: 'file-queued', file: s.file });
      emit({ type: 'file-skipped', file: s.file, reason: s.reason });
    }

    const restoreOne = async (file: string) => {
      if (stopping.signal.aborted) return;
      const fileAbort = new AbortController();
      current.add(fileAbort);
      const signal = AbortSignal.any([fileAbort.signal, stopping.signal]);
      const t0 = performance.now();
      try {
        const out = outputs.get(file)!;
        const r = await restoreFile(
          file,
          out,
          steps,
          {
            ...(o.format ? { format: o.format } : {}),
            ...(o.quality ? { quality: o.quality } : {}),
            ...(o.bitDepth ? { bitDepth: o.bitDepth } : {}),
            overwrite: o.overwrite ?? false,
            ...(o.maxPixels ? { maxPixels: o.maxPixels } : {}),
            tiling,
            recordedOptions: {
              ...(o.preset ? { preset: o.preset } : {}),
              ...(o.tile ? { tile: o.tile } : {}),
            },
          },
          { pool, emit, signal, gate },
        );
        done += 1;
        megapixels += r.megapixels;
        emit({ type: 'file-done', file, seconds: (performance.now() - t0) / 1000, ...r });
      } catch (err) {
        if (signal.aborted) {
          skipped += 1;
          if (!stopping.signal.aborted) cancelled += 1;
          emit({ type: 'file-skipped', file, reason: stopping.signal.aborted ? 'run stopped' : 'cancelled' });
        } else if (isUserError(err) && err.code === 'OUTPUT_EXISTS') {
          skipped += 1;
          emit({ type: 'file-skipped', file, reason: formatError(err) });
        } else {
          // The event names the file and carries the hint: neither is repeated in the message.
          const error = formatError(err, { file: false, hint: false });
          failures.push({ file, error });
          emit({
            type: 'file-failed',
            file,
            error,
            code: isUserError(err) ? err.code : 'BUG',
            ...(isUserError(err) && err.hint ? { hint: err.hint } : {}),
          });
        }
      } finally {
        current.delete(fileAbort);
      }
    };

    try {
      // Several files at once keep every worker busy when photos are smaller than a tile.
      let next = 0;
      const lanes = Array.from({ length: Math.min(pool.workers, files.length) }, async () => {
        while (next < files.length && !stopping.signal.aborted) await restoreOne(files[next++]!);
      });
      await Promise.all(lanes);
    } finally {
      await pool.close();
    }
    const summary: RunSummary = {
      done,
      failed: failures.length,
      skipped: plan.skipped.length + skipped + (files.length - done - failures.length - skipped),
      seconds: (performance.now() - started) / 1000,
      megapixels,
      failures,
      ...(pool.engineDescription ? { engine: pool.engineDescription } : {}),
      ...(stopping.signal.aborted ? { stopped: true } : {}),
      ...(cancelled > 0 ? { cancelled } : {}),
    };
    emit({ type: 'run-done', summary });
    return summary;
  })();
  return { controller, done: finished };
}

/** Runs to completion; the same as startRun without the controller. */
export function runRestore(
  options: RestoreOptions,
  onEvent: RunEventListener = () => {},
): Promise<RunSummary> {
  return startRun(options, onEvent).done;
}
