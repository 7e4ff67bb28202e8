/**
 * Data-parallel gradients over worker threads. Each worker holds a replica and owns a contiguous
 * slice of every batch; per step the main thread publishes weights in shared memory, every worker
 * computes its slice's mean loss and gradients into its own shared slot, and the main thread
 * averages them weighted by slice size, in worker order, so results do not depend on which worker
 * finishes first. BatchNorm uses per-slice batch statistics (as PyTorch DataParallel does); the
 * running statistics are averaged the same way.
 */
import { Worker } from 'node:worker_threads';
import { DurnBugError, type DurnErrorCode, DurnUserError } from '../core/errors.ts';
import type { TfjsBackendChoice } from '../models/engines/tfjs/backend.ts';
import type { NetworkDefinition } from '../models/graph/types.ts';
import type { LossKind } from './config.ts';
import type { BatchSpec } from './data/batches.ts';
import type { TrainingImages } from './data/images.ts';
import type { FlatLayout } from './flat.ts';
import { averageInto } from './optimizer.ts';
import type { FromWorker, WorkerInit } from './worker.ts';

const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const WORKER_URL = new URL(`./worker${EXT}`, import.meta.url);

export interface StepResult {
  readonly loss: number;
  /** Milliseconds: slowest worker's compute, and data synthesis not hidden by prefetching. */
  readonly computeMs: number;
  readonly dataMs: number;
}

interface Slot {
  readonly worker: Worker;
  readonly start: number;
  readonly end: number;
  readonly grads: Float32Array;
  readonly buffersOut: Float32Array;
  pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null;
  failure: Error | null;
}

/** Splits `batch` samples into `n` contiguous slices, sizes differing by at most one. */
export function shardRanges(batch: number, n: number): [number, number][] {
  const k = Math.min(n, batch);
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const size = Math.floor(batch / k) + (i < batch % k ? 1 : 0);
    out.push([start, start + size]);
    start += size;
  }
  return out;
}

export class GradientWorkers {
  /** Shared with the workers: the main thread writes them before each step. */
  readonly params: Float32Array;
  readonly buffers: Float32Array;
  readonly backend: string;
  private readonly slots: Slot[];
  private readonly weights: number[];

  private constructor(
    params: Float32Array,
    buffers: Float32Array,
    slots: Slot[],
    batch: number,
    backend: string,
  ) {
    this.params = params;
    this.buffers = buffers;
    this.slots = slots;
    this.weights = slots.map((s) => (s.end - s.start) / batch);
    this.backend = backend;
  }

  get count(): number {
    return this.slots.length;
  }

  static async start(o: {
    workers: number;
    /** The definition itself: a plugin's own network is registered in this thread only. */
    network: NetworkDefinition;
    /** The task module whose `degradations` the workers import (see degradations/index.ts). */
    degradationModule: string;
    loss: LossKind;
    backend: TfjsBackendChoice;
    images: TrainingImages;
    spec: BatchSpec;
    layout: FlatLayout;
  }): Promise<GradientWorkers> {
    const paramsSab = new SharedArrayBuffer(o.layout.trainableSize * 4);
    const buffersSab = new SharedArrayBuffer(o.layout.bufferSize * 4);
    const slots: Slot[] = [];
    const ready: Promise<FromWorker>[] = [];
    for (const [start, end] of shardRanges(o.spec.batch, o.workers)) {
      const grads = new SharedArrayBuffer(o.layout.trainableSize * 4);
      const buffersOut = new SharedArrayBuffer(o.layout.bufferSize * 4);
      const init: WorkerInit = {
        network: o.network,
        degradationModule: o.degradationModule,
        loss: o.loss,
        backend: o.backend,
        images: o.images,
        spec: o.spec,
        start,
        end,
        params: paramsSab,
        buffers: buffersSab,
        grads,
        buffersOut,
      };
      const worker = new Worker(WORKER_URL, { workerData: init });
      const slot: Slot = {
        worker,
        start,
        end,
        grads: new Float32Array(grads),
        buffersOut: new Float32Array(buffersOut),
        pending: null,
        failure: null,
      };
      worker.on('message', (m: FromWorker) => {
        const p = slot.pending;
        slot.pending = null;
        if (m.type === 'error') p?.reject(workerError(m));
        else p?.resolve(m);
      });
      const fail = (err: Error) => {
        slot.failure = err;
        slot.pending?.reject(err);
        slot.pending = null;
      };
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (code !== 0) fail(new DurnBugError(`a training worker exited with code ${code}`));
      });
      slots.push(slot);
      ready.push(expect(slot));
    }
    const pool = new GradientWorkers(
      new Float32Array(paramsSab),
      new Float32Array(buffersSab),
      slots,
      o.spec.batch,
      '',
    );
    try {
      const replies = await Promise.all(ready);
      const first = replies[0];
      return Object.assign(pool, { backend: first?.type === 'ready' ? first.backend : 'unknown' });
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  /**
   * Runs step `step` on all workers (weights already in `params`/`buffers`); averages gradients
   * into `grads` and running statistics into `buffersOut`.
   */
  async step(step: number, grads: Float32Array, buffersOut: Float32Array): Promise<StepResult> {
    const replies = await Promise.all(
      this.slots.map((s) => {
        const p = expect(s);
        s.worker.postMessage({ type: 'step', step });
        return p;
      }),
    );
    let loss = 0;
    let computeMs = 0;
    let dataMs = 0;
    replies.forEach((r, i) => {
      if (r.type !== 'done' || r.step !== step)
        throw new DurnBugError(`worker ${i} answered ${r.type} for step ${step}`);
      loss += this.weights[i]! * r.loss;
      computeMs = Math.max(computeMs, r.computeMs);
      dataMs = Math.max(dataMs, r.dataMs);
    });
    averageInto(
      grads,
      this.slots.map((s) => s.grads),
      this.weights,
    );
    averageInto(
      buffersOut,
      this.slots.map((s) => s.buffersOut),
      this.weights,
    );
    return { loss, computeMs, dataMs };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(async (s) => {
        s.worker.postMessage({ type: 'close' });
        // terminate() also covers a worker stuck in a long step.
        await s.worker.terminate();
      }),
    );
  }
}

function expect(slot: Slot): Promise<FromWorker> {
  if (slot.failure) return Promise.reject(slot.failure);
  if (slot.pending) return Promise.reject(new DurnBugError('a training worker got two requests at once'));
  return new Promise((resolve, reject) => {
    slot.pending = { resolve, reject };
  });
}

/** Rebuilds a worker's error: user errors (bad image, bad option) stay user errors. */
function workerError(m: Extract<FromWorker, { type: 'error' }>): Error {
  if (m.userCode !== undefined) {
    return new DurnUserError(
      m.userCode as DurnErrorCode,
      m.message,
      m.hint === undefined ? {} : { hint: m.hint },
    );
  }
  const err = new DurnBugError(`training worker failed: ${m.message}`);
  if (m.stack) err.stack = `${err.message}\n${m.stack}`;
  return err;
}
