/**
 * A training worker thread: one model replica and its share of the data pipeline. Per step it
 * reads the current weights from shared memory, generates its shard of batch k (a pure function of
 * seed, k and sample index, so worker timing never changes the data), computes loss and gradients,
 * writes them to its shared slot and answers; then it generates the next shard while the main
 * thread averages and applies, so data synthesis overlaps the optimizer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { DurnUserError } from '../core/errors.ts';
import type { TfjsBackendChoice } from '../models/engines/tfjs/backend.ts';
import type { NetworkDefinition } from '../models/graph/types.ts';
import { initialWeights } from '../models/weights/init.ts';
import type { LossKind } from './config.ts';
import { type BatchSpec, makeShard, type Shard } from './data/batches.ts';
import type { TrainingImages } from './data/images.ts';
import { loadDegradations } from './degradations/index.ts';
import { initTrainingBackend, Replica } from './replica.ts';

export interface WorkerInit {
  readonly network: NetworkDefinition;
  readonly degradationModule: string;
  readonly loss: LossKind;
  readonly backend: TfjsBackendChoice;
  readonly images: TrainingImages;
  readonly spec: BatchSpec;
  /** This worker's samples of every batch: [start, end). */
  readonly start: number;
  readonly end: number;
  readonly params: SharedArrayBuffer;
  readonly buffers: SharedArrayBuffer;
  readonly grads: SharedArrayBuffer;
  readonly buffersOut: SharedArrayBuffer;
}

export type ToWorker = { type: 'step'; step: number } | { type: 'close' };
export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'done'; step: number; loss: number; dataMs: number; computeMs: number }
  | { type: 'error'; message: string; stack?: string; userCode?: string; hint?: string };

const init = workerData as WorkerInit;
const port = parentPort!;

async function main(): Promise<void> {
  const backend = await initTrainingBackend(init.backend);
  if (!init.images.degraded) await loadDegradations(init.degradationModule);
  const def = init.network;
  // Values are overwritten from shared memory before every step; the init only builds variables.
  const replica = new Replica(def, initialWeights(def, 0), init.loss);
  const params = new Float32Array(init.params);
  const buffers = new Float32Array(init.buffers);
  const grads = new Float32Array(init.grads);
  const buffersOut = new Float32Array(init.buffersOut);
  let prefetched: { step: number; shard: Shard; ms: number } | null = null;

  const shardFor = (step: number): { shard: Shard; ms: number } => {
    if (prefetched?.step === step) return prefetched;
    const t0 = performance.now();
    const shard = makeShard(init.images, init.spec, step, init.start, init.end);
    return { shard, ms: performance.now() - t0 };
  };

  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      replica.dispose();
      port.close();
      return;
    }
    try {
      const { shard, ms } = shardFor(msg.step);
      const t0 = performance.now();
      replica.write(params, buffers);
      const [n, h, w, c] = shard.shape;
      const x = tf.tensor4d(shard.input, [n, h, w, c]);
      const y = tf.tensor4d(shard.target, [n, h, w, c]);
      let loss: number;
      try {
        loss = replica.gradients(x, y, grads, buffersOut);
      } finally {
        tf.dispose([x, y]);
      }
      const reply: FromWorker = {
        type: 'done',
        step: msg.step,
        loss,
        dataMs: ms,
        computeMs: performance.now() - t0,
      };
      port.postMessage(reply);
      // Prefetch the next shard while the main thread runs the optimizer.
      prefetched = null;
      const t1 = performance.now();
      prefetched = {
        step: msg.step + 1,
        shard: makeShard(init.images, init.spec, msg.step + 1, init.start, init.end),
        ms: 0,
      };
      prefetched.ms = performance.now() - t1;
    } catch (err) {
      port.postMessage(errorMessage(outOfMemory(err) ?? err));
    }
  });
  port.postMessage({ type: 'ready', backend } satisfies FromWorker);
}

/**
 * The wasm backend's heap is bounded (a few GB) and fails with "memory access out of bounds" when
 * one worker's slice of the batch does not fit: a usage limit, not a bug, so say what to change.
 */
function outOfMemory(err: unknown): DurnUserError | null {
  const message = (err as Error)?.message ?? '';
  if (!/memory access out of bounds|Array buffer allocation failed|out of memory/i.test(message)) return null;
  const n = init.end - init.start;
  const side = init.spec.patch + 2 * init.spec.margin;
  return new DurnUserError(
    'INVALID_OPTION',
    `A training worker ran out of wasm memory with ${n} patches of ${side}×${side} px (${message})`,
    { hint: 'Lower --batch or --patch, or raise --workers: each worker holds batch ÷ workers patches.' },
  );
}

function errorMessage(err: unknown): FromWorker {
  const e = err as Error;
  return {
    type: 'error',
    message: e?.message ?? String(err),
    ...(e?.stack ? { stack: e.stack } : {}),
    ...(err instanceof DurnUserError ? { userCode: err.code, ...(err.hint ? { hint: err.hint } : {}) } : {}),
  };
}

main().catch((err) => port.postMessage(errorMessage(err)));
