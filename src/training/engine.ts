/**
 * What the trainer needs from a training engine: apply step k (forward, loss, backward, clip,
 * Adam, EMA) on the batch (seed, k), validate, and hand over its state in one layout shared by
 * every engine (flat float32 arrays, engine layout of tfjs, see flat.ts), so a checkpoint written
 * by one engine resumes on the other. The tfjs engine lives here; torch is in torch-engine.ts.
 */
import type { TfjsBackendChoice } from '../models/engines/tfjs/backend.ts';
import type { NetworkDefinition } from '../models/graph/types.ts';
import type { LossKind, TrainConfig } from './config.ts';
import type { BatchSpec } from './data/batches.ts';
import type { TrainingImages } from './data/images.ts';
import { type Scores, type ValidationSet, validate } from './evaluate.ts';
import type { FlatLayout } from './flat.ts';
import type { MetricColorSpace } from './metrics.ts';
import {
  type AdamState,
  adamStep,
  clipByGlobalNorm,
  createAdamState,
  DEFAULT_ADAM,
  emaUpdate,
  firstNonFinite,
  globalNorm,
} from './optimizer.ts';
import type { Replica } from './replica.ts';
import { GradientWorkers } from './workers.ts';

/** An engine's whole optimisation state, flat, engine layout. */
export interface EngineState {
  readonly params: Float32Array;
  readonly buffers: Float32Array;
  readonly adamM: Float32Array;
  readonly adamV: Float32Array;
  readonly adamT: number;
  readonly ema: Float32Array | null;
}

export interface StepOutcome {
  readonly loss: number;
  readonly gradNorm: number;
  /** False when the loss or a gradient was not finite: nothing was applied. */
  readonly applied: boolean;
}

/** Which engine trained, for the run summary and provenance. */
export interface EngineInfo {
  readonly engine: 'tfjs' | 'torch';
  /** e.g. "tfjs wasm", "torch 2.5.1 cuda:0 (NVIDIA H200) bf16". */
  readonly description: string;
  readonly device: string;
  readonly precision: 'fp32' | 'bf16';
  readonly torch?: string;
  /** Threads computing gradients (tfjs) or making batches (torch). */
  readonly workers: number;
}

export interface TrainEngine {
  readonly info: EngineInfo;
  load(state: EngineState): Promise<void>;
  step(k: number, lr: number): Promise<StepOutcome>;
  /** The current state (copies the engine may keep using are not handed out). */
  read(): Promise<EngineState>;
  /** Scores of the averaged weights when there is an EMA, else of the weights. */
  validate(set: ValidationSet, colorSpace: MetricColorSpace): Promise<Scores>;
  /** Fraction of training wall time spent waiting for batches, when the engine knows it. */
  dataWait(): number | null;
  close(): Promise<void>;
}

export interface EngineStart {
  readonly config: TrainConfig;
  readonly def: NetworkDefinition;
  /** The task module whose `degradations` worker threads import (degradations/index.ts). */
  readonly degradationModule: string;
  readonly layout: FlatLayout;
  readonly host: Replica;
  readonly images: TrainingImages;
  readonly spec: BatchSpec;
}

/** tfjs: worker threads compute gradients; Adam, clipping and the EMA run here on host arrays. */
export class TfjsTrainEngine implements TrainEngine {
  readonly info: EngineInfo;
  private readonly pool: GradientWorkers;
  private readonly host: Replica;
  private readonly adam: AdamState;
  private readonly grads: Float32Array;
  private ema: Float32Array | null = null;
  private readonly config: TrainConfig;

  private constructor(s: EngineStart, pool: GradientWorkers, backend: string) {
    this.pool = pool;
    this.host = s.host;
    this.config = s.config;
    this.adam = createAdamState(s.layout.trainableSize);
    this.grads = new Float32Array(s.layout.trainableSize);
    this.info = {
      engine: 'tfjs',
      description: `tfjs ${backend}`,
      device: 'cpu',
      precision: 'fp32',
      workers: pool.count,
    };
  }

  static async start(
    s: EngineStart,
    backend: TfjsBackendChoice,
    hostBackend: string,
  ): Promise<TfjsTrainEngine> {
    const pool = await GradientWorkers.start({
      workers: s.config.workers,
      network: s.def,
      degradationModule: s.degradationModule,
      loss: s.config.loss as LossKind,
      backend,
      images: s.images,
      spec: s.spec,
      layout: s.layout,
    });
    return new TfjsTrainEngine(s, pool, hostBackend);
  }

  async load(st: EngineState): Promise<void> {
    this.pool.params.set(st.params);
    this.pool.buffers.set(st.buffers);
    this.adam.m.set(st.adamM);
    this.adam.v.set(st.adamV);
    this.adam.t = st.adamT;
    this.ema = this.config.ema !== null ? Float32Array.from(st.ema ?? st.params) : null;
  }

  async step(k: number, lr: number): Promise<StepOutcome> {
    const { params, buffers } = this.pool;
    const r = await this.pool.step(k, this.grads, buffers);
    if (!Number.isFinite(r.loss) || firstNonFinite(this.grads) >= 0) {
      return { loss: r.loss, gradNorm: Number.NaN, applied: false };
    }
    const c = this.config;
    const gradNorm = c.clip !== null ? clipByGlobalNorm(this.grads, c.clip) : globalNorm(this.grads);
    adamStep(params, this.grads, this.adam, lr, DEFAULT_ADAM);
    if (this.ema) emaUpdate(this.ema, params, c.ema!, this.adam.t);
    return { loss: r.loss, gradNorm, applied: true };
  }

  async read(): Promise<EngineState> {
    return {
      params: this.pool.params,
      buffers: this.pool.buffers,
      adamM: this.adam.m,
      adamV: this.adam.v,
      adamT: this.adam.t,
      ema: this.ema,
    };
  }

  validate(set: ValidationSet, colorSpace: MetricColorSpace): Promise<Scores> {
    this.host.write(this.ema ?? this.pool.params, this.pool.buffers);
    return validate(this.host, set, colorSpace);
  }

  dataWait(): number | null {
    return null;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
