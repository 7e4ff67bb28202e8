/**
 * The generic trainer: `trainNetwork(options, task, { onProgress, signal })` trains one network of
 * a task described by a TrainingTask (recipe.ts); src/plugins/training.ts resolves `--task` to one.
 * An engine (engine.ts: tfjs worker threads, or torch-engine.ts) applies each step; with tfjs, worker threads compute gradients on
 * slices of each batch (see workers.ts); the main thread averages them, clips, applies Adam and the
 * EMA, validates, checkpoints, and finally writes safetensors weights the plugins load. A run is a
 * pure function of its config and seed on a given backend and worker count, so `--resume` from any
 * checkpoint continues the exact loss curve.
 */
import { arch as cpuArch, cpus, platform } from 'node:os';
import { DurnUserError } from '../core/errors.ts';
import { VERSION } from '../core/version.ts';
import { saveWeights } from '../models/weights/safetensors.ts';
import {
  type Checkpoint,
  type CheckpointState,
  checkLayout,
  saveCheckpoint,
  type TrainingSession,
  type ValidationRecord,
} from './checkpoint.ts';
import { parseTrainOptions, type RecipeRecord, type TrainConfig, type TrainOptions } from './config.ts';
import { cacheBytes } from './data/images.ts';
import { degradationFor } from './degradations/index.ts';
import { type EngineInfo, TfjsTrainEngine, type TrainEngine } from './engine.ts';
import { buildValidationSet } from './evaluate.ts';
import type { TrainProgress } from './progress.ts';
import type { TrainingTask } from './recipe.ts';
import { initTrainingBackend, Replica } from './replica.ts';
import { createRng } from './rng.ts';
import { learningRate, timeProgress } from './schedule.ts';
import { loadRunImages, prepareRun } from './setup.ts';
import { TorchTrainEngine } from './torch-engine.ts';
import { resolveTrainEngine } from './train-engine-choice.ts';

export interface TrainHooks {
  readonly onProgress?: (event: TrainProgress) => void;
  /** Aborting finishes the current step, saves a checkpoint and rejects with an ABORTED error. */
  readonly signal?: AbortSignal;
}

export interface TrainResult {
  readonly weightsPath: string;
  readonly checkpointPath: string;
  readonly config: TrainConfig;
  readonly step: number;
  readonly losses: readonly number[];
  readonly validations: readonly ValidationRecord[];
  readonly best: ValidationRecord | null;
  readonly wallSeconds: number;
  /** Training throughput of this session, excluding validation and checkpoints. */
  readonly patchesPerSecond: number;
  /** tfjs backend name (tfjs engine) or the engine description (torch). */
  readonly backend: string;
  readonly engine: EngineInfo;
  /** Fraction of training wall time spent waiting for batches (torch engine), else null. */
  readonly dataWait: number | null;
  /** `--minutes` ended the run before its last step. */
  readonly stoppedEarly: boolean;
}

export async function trainNetwork(
  options: TrainOptions,
  task: TrainingTask,
  hooks: TrainHooks = {},
  /** The recipe file the options came from (recipe-file.ts), for the provenance. */
  recipeFile?: RecipeRecord,
): Promise<TrainResult> {
  const o = parseTrainOptions(options);
  const setup = await prepareRun(options, o, task, recipeFile);
  const { def, config, spec } = setup;
  const emit = hooks.onProgress ?? (() => {});
  const { train: images, val: valImages, dropped } = await loadRunImages(setup);

  const backend = await initTrainingBackend(o.backend);
  const host = new Replica(def, setup.startWeights, config.loss);
  const layout = host.layout;
  const colorSpace = task.recipe(config.network).colorSpace;
  const valSet = buildValidationSet(valImages, spec, {
    limit: config.valLimit,
    size: config.valPatch,
    sizeMultiple: def.sizeMultiple,
  });
  const start = { config, def, degradationModule: task.module, layout, host, images, spec };
  const engineName = await resolveTrainEngine(o.engine, o.device);
  const engine: TrainEngine =
    engineName === 'torch'
      ? await TorchTrainEngine.start(start, {
          device: o.device,
          precision: o.precision,
          workers: o.workers,
          threads: o.threads,
        })
      : await TfjsTrainEngine.start(start, o.backend, backend);
  try {
    let bestParams: Float32Array | null = null;
    let bestBuffers: Float32Array | null = null;
    let state: Omit<CheckpointState, 'config'>;
    if (setup.resumed) {
      const r = setup.resumed;
      checkLayout(r, layout, setup.checkpointPath);
      await engine.load({
        ...r.arrays,
        adamT: r.state.adamT,
        ema: config.ema !== null ? r.arrays.ema : null,
      });
      bestParams = r.arrays.bestParams;
      bestBuffers = r.arrays.bestBuffers;
      state = { ...r.state, losses: [...r.state.losses], validations: [...r.state.validations] };
    } else {
      const params = new Float32Array(layout.trainableSize);
      const buffers = new Float32Array(layout.bufferSize);
      host.read(params, buffers);
      const zeros = new Float32Array(layout.trainableSize);
      await engine.load({ params, buffers, adamM: zeros, adamV: zeros, adamT: 0, ema: null });
      const counter = setup.startWeights.get(layout.counters[0] ?? '')?.data[0];
      state = {
        step: 0,
        adamT: 0,
        batchesBase: typeof counter === 'bigint' ? Number(counter) : 0,
        losses: [],
        validations: [],
        best: null,
        wallSeconds: 0,
        rng: createRng(config.seed).state(),
        layout: {
          trainable: layout.trainable.map((e) => e.name),
          buffers: layout.buffers.map((e) => e.name),
        },
        startWeights: setup.startSource,
        startProvenance: setup.startProvenance,
        out: setup.out,
      };
    }
    // `--resume <ckpt> --steps <steps done>` ends a stopped run here: it writes the weights and exits.
    if (state.step > config.steps) {
      throw new DurnUserError(
        'INVALID_OPTION',
        `The checkpoint has already run ${state.step} of ${config.steps} steps`,
        {
          hint: 'Pass a larger --steps to continue training.',
        },
      );
    }
    const info = engine.info;
    const notes = [
      ...(dropped.length > 0
        ? [`skipped ${dropped.length} image(s) smaller than the patch: ${dropped.slice(0, 5).join(', ')}`]
        : []),
      ...(config.val ? [] : ['no --val folder: validation uses crops of the training images']),
      ...(config.workers > 1 && info.engine === 'tfjs'
        ? ['BatchNorm uses per-worker batch statistics (as PyTorch DataParallel)']
        : []),
      ...(o.minutes ? [`stops after ${o.minutes} minute(s) of training`] : []),
      ...(o.scheduleByTime && o.minutes ? ['the learning-rate schedule runs its course in that time'] : []),
    ];
    emit({
      type: 'start',
      config,
      images: images.clean.images.length,
      valImages: valSet.count,
      cacheMB: cacheBytes(images) / 2 ** 20,
      backend: info.description,
      workers: info.workers,
      startStep: state.step,
      notes,
    });

    const schedule = {
      baseLr: config.lr,
      totalSteps: config.steps,
      warmupSteps: config.warmup,
      schedule: config.schedule,
    };
    const sessionStart = performance.now();
    const deadline = o.minutes ? sessionStart + o.minutes * 60_000 : Number.POSITIVE_INFINITY;
    const byTime = o.scheduleByTime && o.minutes !== undefined;
    const wallBase = state.wallSeconds;
    const earlier = state.sessions ?? [];
    const here = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length };
    const sessionFrom = state.step;
    const startedAt = new Date().toISOString();
    const sessions = (): TrainingSession[] => [
      ...earlier,
      {
        fromStep: sessionFrom,
        toStep: state.step,
        wallSeconds: Math.round((performance.now() - sessionStart) / 1000),
        ...here,
        workers: info.workers,
        backend: info.description,
        started: startedAt,
        ...(info.engine === 'torch' ? { device: info.device, precision: info.precision } : {}),
        ...(byTime ? { scheduleMinutes: o.minutes } : {}),
      },
    ];
    let trainMs = 0;
    let trainedSteps = 0;

    const snapshot = async (): Promise<Checkpoint> => {
      const st = await engine.read();
      return {
        state: {
          ...state,
          sessions: sessions(),
          config,
          adamT: st.adamT,
          wallSeconds: wallBase + (performance.now() - sessionStart) / 1000,
        },
        arrays: { ...st, bestParams, bestBuffers },
      };
    };
    const checkpoint = async () => {
      await saveCheckpoint(setup.checkpointPath, await snapshot());
      emit({ type: 'checkpoint', step: state.step, path: setup.checkpointPath });
    };
    const validateNow = async () => {
      const scores = await engine.validate(valSet, colorSpace);
      const record: ValidationRecord = { step: state.step, ...scores };
      const isBest = state.best === null || scores.psnr > state.best.psnr;
      state.validations.push(record);
      if (isBest) {
        state = { ...state, best: record };
        const st = await engine.read();
        bestParams = Float32Array.from(st.ema ?? st.params);
        bestBuffers = Float32Array.from(st.buffers);
      }
      emit({ type: 'validation', ...record, isBest });
    };

    while (state.step < config.steps) {
      const k = state.step;
      const t0 = performance.now();
      const lr = learningRate(
        k,
        schedule,
        byTime
          ? timeProgress(sessionFrom, config.steps, performance.now() - sessionStart, deadline - sessionStart)
          : 0,
      );
      const r = await engine.step(k, lr);
      if (!r.applied) {
        throw new DurnUserError(
          'INVALID_INPUT',
          `Training diverged at step ${k + 1}: the loss or a gradient is not finite`,
          {
            hint: 'Lower --lr, add --clip 1, or --resume the last checkpoint (it holds finite weights).',
          },
        );
      }
      state = { ...state, step: k + 1 };
      state.losses.push(r.loss);
      trainMs += performance.now() - t0;
      trainedSteps++;
      const pps = (trainedSteps * config.batch) / (trainMs / 1000);
      const wait = engine.dataWait();
      emit({
        type: 'step',
        step: state.step,
        steps: config.steps,
        loss: r.loss,
        lr,
        gradNorm: r.gradNorm,
        patchesPerSecond: pps,
        elapsedSeconds: wallBase + (performance.now() - sessionStart) / 1000,
        etaSeconds: ((config.steps - state.step) * config.batch) / pps,
        ...(wait !== null ? { dataWait: wait } : {}),
      });
      const timeUp = performance.now() >= deadline && state.step < config.steps;
      if (state.step % config.valEvery === 0 || state.step === config.steps || timeUp) await validateNow();
      if (state.step % config.checkpointEvery === 0 || state.step === config.steps || timeUp)
        await checkpoint();
      if (timeUp) break;
      if (hooks.signal?.aborted && state.step < config.steps) {
        await checkpoint();
        throw new DurnUserError(
          'ABORTED',
          `Training stopped at step ${state.step} of ${config.steps}; checkpoint saved to ${setup.checkpointPath}`,
          {
            file: setup.checkpointPath,
            hint: `Continue with \`durn train ${config.task} --resume ${setup.checkpointPath}\`.`,
          },
        );
      }
    }

    const wallSeconds = wallBase + (performance.now() - sessionStart) / 1000;
    const last = await engine.read();
    const final =
      bestParams && bestBuffers
        ? { p: bestParams, b: bestBuffers }
        : { p: last.ema ?? last.params, b: last.buffers };
    const tensors = host.stateDict(final.p, final.b, state.batchesBase + (state.best?.step ?? state.step));
    await saveWeights(
      setup.out,
      {
        metadata: {
          formatVersion: 1,
          arch: config.network,
          task: config.task,
          provenance: {
            ...provenance(config, setup.startSource, state.step, wallSeconds, info),
            // Every process that trained this run, and what the start weights were made from.
            sessions: sessions(),
            ...(setup.startProvenance ? { fromProvenance: setup.startProvenance } : {}),
          },
          metrics: state.best
            ? {
                [`validation-${config.degradation}`]: {
                  psnr: state.best.psnr,
                  ssim: state.best.ssim,
                  loss: state.best.loss,
                  step: state.best.step,
                  crops: valSet.count,
                  cropSize: valSet.size,
                  folder: config.val ?? config.data,
                },
              }
            : {},
        },
        tensors,
      },
      { overwrite: true },
    );
    return {
      weightsPath: setup.out,
      checkpointPath: setup.checkpointPath,
      config,
      step: state.step,
      losses: state.losses,
      validations: state.validations,
      best: state.best,
      wallSeconds,
      patchesPerSecond: trainMs > 0 ? (trainedSteps * config.batch) / (trainMs / 1000) : 0,
      backend: info.engine === 'tfjs' ? backend : info.description,
      engine: info,
      dataWait: engine.dataWait(),
      stoppedEarly: state.step < config.steps,
    };
  } finally {
    await engine.close();
    host.dispose();
  }
}

/** "name: summary" of the degradation a task key stands for, as the weights' provenance records it. */
function synthesis(key: string): string {
  const d = degradationFor(key);
  return `${d.name}: ${d.summary}`;
}

function provenance(
  c: TrainConfig,
  from: string,
  steps: number,
  wallSeconds: number,
  info: EngineInfo,
): Record<string, unknown> {
  const cpu = cpus();
  return {
    trainer: `durn ${VERSION} train`,
    task: c.task,
    from,
    data: c.data,
    pairs: c.pairs,
    val: c.val,
    degradation: c.pairs ? 'real pairs' : c.degradation,
    // The task key's meaning can change (denoise-rgb was camera-noise before issue 17): name it.
    ...(c.pairs ? {} : { synthesis: synthesis(c.degradation) }),
    degradationOptions: c.degradationOptions,
    steps,
    batch: c.batch,
    patch: c.patch,
    lr: c.lr,
    schedule: c.schedule,
    loss: c.loss,
    warmup: c.warmup,
    ema: c.ema,
    clip: c.clip,
    seed: c.seed,
    ...(c.recipe ? { recipe: c.recipe } : {}),
    wallSeconds: Math.round(wallSeconds),
    hardware: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, platform: platform(), arch: cpuArch() },
    backend: info.description,
    engine: info.engine,
    device: info.device,
    precision: info.precision,
    ...(info.torch ? { torch: info.torch } : {}),
    workers: info.workers,
    node: process.version,
  };
}
