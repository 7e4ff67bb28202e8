/**
 * A submitted batch seen from any machine: its files' job states (status), the run events as jobs
 * finish (follow: the same stream `durn restore` emits, so the same plain/JSON/dashboard output),
 * retrying only its failed jobs, and removing its finished jobs and record (clean).
 *
 * Follow polls job states rather than trusting a live event stream: a follower started late, or
 * one that lived through a Redis restart, still sees every outcome exactly once.
 */
import { type Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DurnUserError, expected } from '../../core/errors.ts';
import type { RunEvent, RunEventListener, RunSummary } from '../events.ts';
import {
  type BatchItem,
  type BatchMeta,
  batchKeys,
  checkReachable,
  inChunks,
  openRedis,
} from './batch-store.ts';
import { connectionOptions, parseQueueUrl, type QueueAddress } from './connection.ts';
import { BATCH_ID, QUEUE_NAME } from './job.ts';
import type { JobProgress, JobResult } from './worker.ts';

export type ItemState = 'waiting' | 'active' | 'completed' | 'failed' | 'delayed' | 'unknown' | 'duplicate';

export interface ItemStatus {
  readonly item: BatchItem;
  readonly state: ItemState;
  readonly attempts: number;
  readonly result?: JobResult;
  readonly error?: string;
  readonly progress?: JobProgress;
  /** The job was made by another batch (same photo and chain, restored before). */
  readonly earlier?: boolean;
}

export interface BatchStatus {
  readonly meta: BatchMeta;
  readonly items: readonly ItemStatus[];
  readonly counts: Readonly<Record<ItemState, number>>;
  readonly workers: readonly {
    name: string;
    host: string;
    engine: string;
    device: string;
    threads: number;
    concurrency: number;
  }[];
}

interface Conn {
  readonly address: QueueAddress;
  readonly queue: Queue;
  readonly redis: Redis;
  close(): Promise<void>;
}

async function open(url: string): Promise<Conn> {
  const address = parseQueueUrl(url);
  await checkReachable(address);
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(address) });
  const redis = openRedis(address);
  return {
    address,
    queue,
    redis,
    close: async () => {
      await queue.close();
      redis.disconnect();
    },
  };
}

async function loadBatch(redis: Redis, id: string): Promise<{ meta: BatchMeta; items: BatchItem[] }> {
  if (!BATCH_ID.test(id))
    throw new DurnUserError(
      'INVALID_OPTION',
      expected('a batch id (printed by durn restore --queue)', 'the batch', id),
    );
  const keys = batchKeys(id);
  const raw = await redis.get(keys.meta);
  if (!raw) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected a batch of this queue for ${id} but received an unknown id`,
      {
        hint: 'check the --queue URL (and its /db); `durn queue status` without a batch lists the batches',
      },
    );
  }
  const items = (await redis.lrange(keys.items, 0, -1)).map((s) => JSON.parse(s) as BatchItem);
  return { meta: JSON.parse(raw) as BatchMeta, items };
}

async function itemStatus(queue: Queue, batch: string, item: BatchItem): Promise<ItemStatus> {
  if (item.duplicateOf) return { item, state: 'duplicate', attempts: 0 };
  // State first, then the job: a job read as completed already holds its result (moveToFinished
  // is atomic), whereas a job read before its state may predate the result.
  const raw = await queue.getJobState(item.jobId);
  const job: Job | undefined = await queue.getJob(item.jobId);
  if (!job) return { item, state: 'unknown', attempts: 0 };
  const state: ItemState =
    raw === 'completed' || raw === 'failed' || raw === 'active' || raw === 'delayed'
      ? raw
      : raw === 'unknown'
        ? 'unknown'
        : 'waiting';
  const progress =
    typeof job.progress === 'object' && job.progress !== null
      ? (job.progress as unknown as JobProgress)
      : undefined;
  return {
    item,
    state,
    attempts: job.attemptsMade,
    ...(state === 'completed' && job.returnvalue ? { result: job.returnvalue as JobResult } : {}),
    ...(state === 'failed' ? { error: job.failedReason } : {}),
    ...(progress ? { progress } : {}),
    ...((job.data as { batch?: string }).batch !== batch ? { earlier: true } : {}),
  };
}

async function liveWorkers(redis: Redis): Promise<BatchStatus['workers']> {
  const keys = batchKeys('none');
  const names = await redis.zrangebyscore(keys.workers, Date.now() - 20_000, '+inf');
  if (names.length === 0) return [];
  const infos = await redis.hmget(keys.workerInfo, ...names);
  return infos.flatMap((s) => (s ? [JSON.parse(s) as BatchStatus['workers'][number]] : []));
}

function count(items: readonly ItemStatus[]): Record<ItemState, number> {
  const c: Record<ItemState, number> = {
    waiting: 0,
    active: 0,
    completed: 0,
    failed: 0,
    delayed: 0,
    unknown: 0,
    duplicate: 0,
  };
  for (const i of items) c[i.state] += 1;
  return c;
}

export async function batchStatus(url: string, id: string): Promise<BatchStatus> {
  const c = await open(url);
  try {
    const { meta, items } = await loadBatch(c.redis, id);
    const statuses = await inChunks(items, (i) => itemStatus(c.queue, id, i));
    return { meta, items: statuses, counts: count(statuses), workers: await liveWorkers(c.redis) };
  } finally {
    await c.close();
  }
}

/** The batches this queue knows, newest first. */
export async function listBatches(url: string, limit = 20): Promise<BatchMeta[]> {
  const c = await open(url);
  try {
    const ids = await c.redis.zrevrange(batchKeys('none').index, 0, limit - 1);
    const metas = await Promise.all(ids.map((id) => c.redis.get(batchKeys(id).meta)));
    return metas.flatMap((m) => (m ? [JSON.parse(m) as BatchMeta] : []));
  } finally {
    await c.close();
  }
}

const FINAL: ReadonlySet<ItemState> = new Set(['completed', 'failed', 'unknown', 'duplicate']);

/**
 * Emits the batch's run events until every file has an outcome (or `signal` aborts: the jobs go
 * on without a follower). Resolves with the same summary a local run gives.
 */
export async function followBatch(
  url: string,
  id: string,
  onEvent: RunEventListener,
  opts: { signal?: AbortSignal; pollMs?: number } = {},
): Promise<RunSummary> {
  const c = await open(url);
  const started = performance.now();
  try {
    const { meta, items } = await loadBatch(c.redis, id);
    onEvent({
      type: 'run-start',
      files: items.length,
      chain: meta.chain,
      engine: `queue ${c.address.redacted}`,
    });
    for (const i of items) onEvent({ type: 'file-queued', file: i.file });
    let pending = items.map((item, index) => ({ item, index }));
    const startedShown = new Set<number>();
    let done = 0;
    let skipped = 0;
    let megapixels = 0;
    const failures: { file: string; error: string }[] = [];
    const engines = new Set<string>();
    while (pending.length > 0 && !opts.signal?.aborted) {
      const statuses = await inChunks(pending, (p) => itemStatus(c.queue, id, p.item));
      const still: typeof pending = [];
      for (const [k, s] of statuses.entries()) {
        const p = pending[k]!;
        const file = p.item.file;
        if (
          !startedShown.has(p.index) &&
          s.progress?.width !== undefined &&
          s.state !== 'unknown' &&
          !s.earlier
        ) {
          startedShown.add(p.index);
          onEvent({
            type: 'file-start',
            file,
            width: s.progress.width,
            height: s.progress.height ?? 0,
            steps: s.progress.steps ?? [],
          });
        }
        if (!FINAL.has(s.state)) {
          still.push(p);
          continue;
        }
        const event = outcome(s, file);
        if (event.type === 'file-done') {
          done += 1;
          megapixels += event.megapixels;
          if (s.result?.engine) engines.add(s.result.engine);
        } else if (event.type === 'file-failed') failures.push({ file, error: event.error });
        else skipped += 1;
        onEvent(event);
      }
      pending = still;
      if (pending.length > 0) await sleep(opts.pollMs ?? 250, opts.signal);
    }
    const summary: RunSummary = {
      done,
      failed: failures.length,
      skipped: skipped + pending.length,
      seconds: (performance.now() - started) / 1000,
      megapixels,
      failures,
      ...(engines.size > 0 ? { engine: [...engines].join(', ') } : {}),
    };
    onEvent({ type: 'run-done', summary });
    return summary;
  } finally {
    await c.close();
  }
}

function outcome(s: ItemStatus, file: string): RunEvent {
  const r = s.result;
  if (s.state === 'duplicate')
    return { type: 'file-skipped', file, reason: `same content as ${s.item.duplicateOf} (restored once)` };
  if (s.state === 'unknown')
    return { type: 'file-skipped', file, reason: `job ${s.item.jobId} is no longer in the queue (cleaned)` };
  if (s.state === 'failed') {
    const e = s.progress?.error;
    return {
      type: 'file-failed',
      file,
      error: s.error ?? 'failed',
      code: e?.code ?? 'QUEUE',
      ...(e?.hint ? { hint: e.hint } : {}),
    };
  }
  if (!r) return { type: 'file-skipped', file, reason: 'completed without a result' };
  if (r.skipped) return { type: 'file-skipped', file, reason: r.skipped };
  if (s.earlier)
    return {
      type: 'file-skipped',
      file,
      reason: `already restored (same content and chain) → ${r.output} by ${r.worker}`,
    };
  return {
    type: 'file-done',
    file,
    output: r.output,
    seconds: r.seconds,
    megapixels: r.megapixels,
    bytesIn: r.bytesIn,
    bytesOut: r.bytesOut,
    worker: r.worker,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** Retries the batch's failed jobs only; returns how many. */
export async function retryBatch(url: string, id: string): Promise<number> {
  const c = await open(url);
  try {
    const { items } = await loadBatch(c.redis, id);
    let n = 0;
    for (const item of items) {
      if (item.duplicateOf) continue;
      const job = await c.queue.getJob(item.jobId);
      if (job && (await job.getState()) === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        n += 1;
      }
    }
    return n;
  } finally {
    await c.close();
  }
}

/**
 * Removes the batch's finished jobs (so the same photos can be submitted again) and its record.
 * Jobs still waiting or running are left alone; returns how many jobs were removed and kept.
 */
export async function cleanBatch(url: string, id: string): Promise<{ removed: number; kept: number }> {
  const c = await open(url);
  try {
    const { items } = await loadBatch(c.redis, id);
    let removed = 0;
    let kept = 0;
    for (const item of items) {
      if (item.duplicateOf) continue;
      const job = await c.queue.getJob(item.jobId);
      if (!job) continue;
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') {
        await job.remove();
        removed += 1;
      } else kept += 1;
    }
    if (kept === 0) {
      const keys = batchKeys(id);
      await c.redis.del(keys.meta, keys.items);
      await c.redis.zrem(keys.index, id);
    }
    return { removed, kept };
  } finally {
    await c.close();
  }
}
