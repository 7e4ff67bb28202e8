/**
 * Bounded prefetch of whole batches from worker threads: batch k is made by worker k mod n, at most
 * `depth` batches ahead of the one the trainer waits for. Batches depend only on (seed, k), so the
 * number of workers and their timing never change the data.
 */
import { Worker } from 'node:worker_threads';
import { DurnBugError, type DurnErrorCode, DurnUserError } from '../core/errors.ts';
import type { FromBatchWorker } from './batch-worker.ts';
import type { BatchSpec } from './data/batches.ts';
import type { TrainingImages } from './data/images.ts';

const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const WORKER_URL = new URL(`./batch-worker${EXT}`, import.meta.url);

export interface Batch {
  readonly input: Float32Array;
  readonly target: Float32Array;
  /** NHWC. */
  readonly shape: readonly [number, number, number, number];
}

interface Pending {
  readonly promise: Promise<Batch>;
  resolve: (b: Batch) => void;
  reject: (e: Error) => void;
}

export class BatchFeeder {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly depth: number;
  private failure: Error | null = null;
  /** Milliseconds `next` spent waiting for data, over the feeder's life. */
  waitedMs = 0;

  constructor(o: {
    images: TrainingImages;
    spec: BatchSpec;
    degradationModule: string;
    workers: number;
    depth?: number;
  }) {
    this.depth = Math.max(1, o.depth ?? o.workers + 1);
    for (let i = 0; i < Math.max(1, o.workers); i++) {
      const w = new Worker(WORKER_URL, {
        workerData: { images: o.images, spec: o.spec, degradationModule: o.degradationModule },
      });
      w.on('message', (m: FromBatchWorker) => this.onMessage(m));
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new DurnBugError(`a batch worker exited with code ${code}`));
      });
      this.workers.push(w);
    }
  }

  get count(): number {
    return this.workers.length;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
  }

  private onMessage(m: FromBatchWorker): void {
    const p = this.pending.get(m.step);
    if (!p) return;
    if (m.type === 'error') {
      p.reject(
        m.userCode
          ? new DurnUserError(m.userCode as DurnErrorCode, m.message, m.hint ? { hint: m.hint } : {})
          : new DurnBugError(`batch worker failed: ${m.message}`),
      );
    } else p.resolve({ input: m.input, target: m.target, shape: m.shape as unknown as Batch['shape'] });
  }

  private request(step: number): void {
    if (this.pending.has(step)) return;
    let resolve!: (b: Batch) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Batch>((a, b) => {
      resolve = a;
      reject = b;
    });
    promise.catch(() => {}); // rejections surface through next()
    this.pending.set(step, { promise, resolve, reject });
    this.workers[step % this.workers.length]!.postMessage({ step });
  }

  /** Batch `step`, and requests for the following ones up to the prefetch depth. */
  async next(step: number, last: number): Promise<Batch> {
    if (this.failure) throw this.failure;
    for (let k = step; k < Math.min(step + this.depth, last); k++) this.request(k);
    this.request(step);
    const t0 = performance.now();
    try {
      return await this.pending.get(step)!.promise;
    } finally {
      this.waitedMs += performance.now() - t0;
      this.pending.delete(step);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.pending.clear();
  }
}
