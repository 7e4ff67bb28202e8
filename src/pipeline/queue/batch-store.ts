/**
 * Where a batch lives in Redis, beside BullMQ's own keys (`<prefix>:durn-restore:…`): its record
 * (what was submitted, when, with which chain) and its items (file → job id → output), in
 * submission order. Jobs are shared between batches (same photo, same chain), batches are not.
 */
import { Redis } from 'ioredis';
import { DurnUserError } from '../../core/errors.ts';
import { connectionOptions, type QueueAddress } from './connection.ts';
import { QUEUE_NAME } from './job.ts';

export interface BatchMeta {
  readonly id: string;
  readonly created: number;
  readonly chain: string;
  readonly files: number;
}

export interface BatchItem {
  /** The file as the submitter named it. */
  readonly file: string;
  readonly jobId: string;
  /** The output the submitter expects (on the submitter's side of any --map). */
  readonly output: string;
  /** Same content as an earlier file of the batch: one job restores it once. */
  readonly duplicateOf?: string;
}

/** BullMQ's default key prefix; durn's own keys sit under the queue's. */
const PREFIX = 'bull';

export function batchKeys(batch: string) {
  const base = `${PREFIX}:${QUEUE_NAME}:durn`;
  return {
    meta: `${base}:batch:${batch}`,
    items: `${base}:batch:${batch}:items`,
    /** Sorted set of batch ids by creation time. */
    index: `${base}:batches`,
    /** Sorted set of worker names by last heartbeat; their details in `workerInfo`. */
    workers: `${base}:workers`,
    workerInfo: `${base}:workers:info`,
  };
}

/** Runs `fn` over `items`, `size` at a time in parallel (many small Redis round trips). */
export async function inChunks<T, R>(
  items: readonly T[],
  fn: (item: T) => Promise<R>,
  size = 200,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/** A plain Redis connection for durn's own keys (batches, workers), retrying like BullMQ's. */
export function openRedis(address: QueueAddress): Redis {
  const { url, ...rest } = connectionOptions(address);
  return new Redis(url, rest);
}

/**
 * Fails fast, with a user error, when Redis cannot be reached or refuses the password: only once
 * connected do durn's clients retry forever (a Redis restart is a pause, a typo is not).
 */
export async function checkReachable(address: QueueAddress, timeoutMs = 5000): Promise<void> {
  const client = new Redis(address.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause: Error | undefined; // the socket's or server's own words (ECONNREFUSED, WRONGPASS…)
  client.on('error', (e: Error) => {
    cause ??= e;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    const why = (cause ?? (err as Error)).message;
    throw new DurnUserError('IO', `Could not reach the queue at ${address.redacted}: ${why}`, {
      hint: 'is redis-server running there, and are the host, port, password and TLS (rediss://) right?',
    });
  } finally {
    client.disconnect();
  }
}
