/**
 * A batch worker thread for engines that train outside Node (torch): makes whole batches with
 * durn's own patch sampling and degradations (a pure function of seed and step) and transfers them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DurnUserError } from '../core/errors.ts';
import { type BatchSpec, makeShard } from './data/batches.ts';
import type { TrainingImages } from './data/images.ts';
import { loadDegradations } from './degradations/index.ts';

export interface BatchWorkerInit {
  readonly images: TrainingImages;
  readonly spec: BatchSpec;
  readonly degradationModule: string;
}

export type FromBatchWorker =
  | { type: 'batch'; step: number; input: Float32Array; target: Float32Array; shape: number[]; ms: number }
  | { type: 'error'; step: number; message: string; userCode?: string; hint?: string };

const init = workerData as BatchWorkerInit;
const port = parentPort!;

// Synthetic damage models live in the task's module: register them in this thread first.
const ready = init.images.degraded ? Promise.resolve() : loadDegradations(init.degradationModule);

port.on('message', async (m: { step: number } | { close: true }) => {
  if ('close' in m) {
    port.close();
    return;
  }
  try {
    await ready;
    const t0 = performance.now();
    const s = makeShard(init.images, init.spec, m.step, 0, init.spec.batch);
    const reply: FromBatchWorker = {
      type: 'batch',
      step: m.step,
      input: s.input,
      target: s.target,
      shape: [...s.shape],
      ms: performance.now() - t0,
    };
    port.postMessage(reply, [s.input.buffer as ArrayBuffer, s.target.buffer as ArrayBuffer]);
  } catch (err) {
    const e = err as Error;
    port.postMessage({
      type: 'error',
      step: m.step,
      message: e?.message ?? String(err),
      ...(err instanceof DurnUserError
        ? { userCode: err.code, ...(err.hint ? { hint: err.hint } : {}) }
        : {}),
    } satisfies FromBatchWorker);
  }
});
