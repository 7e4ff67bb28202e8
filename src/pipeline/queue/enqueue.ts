/**
 * Submitting a batch: the same inputs, chain and output naming as a local `durn restore`, turned
 * into one job per file (paths and hashes, never pixels) and a batch record listing them. Job
 * ids are content × chain, so BullMQ keeps a single job for a photo submitted twice; a failed
 * job submitted again is retried.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, relative, resolve as resolvePath } from 'node:path';
import { Queue } from 'bullmq';
import { formatError } from '../../core/errors.ts';
import { expandInputs } from '../run/inputs.ts';
import { type ParsedRestoreOptions, parseRestoreOptions, type RestoreOptions } from '../run/options.ts';
import { outputPath } from '../run/outputs.ts';
import { fileSha256 } from '../run/restore-file.ts';
import { resolveSteps } from '../run/run.ts';
import {
  type BatchItem,
  type BatchMeta,
  batchKeys,
  checkReachable,
  inChunks,
  openRedis,
} from './batch-store.ts';
import { connectionOptions, parseQueueUrl } from './connection.ts';
import {
  chainHashOf,
  JOB_NAME,
  JOB_VERSION,
  type JobData,
  jobIdOf,
  mapPath,
  type PathMap,
  parseJob,
  QUEUE_NAME,
} from './job.ts';

export interface SubmitOptions extends RestoreOptions {
  /** redis:// or rediss:// URL. */
  readonly queue: string;
  /** Tries per job before it counts as failed (default 3). */
  readonly attempts?: number;
  /** First retry delay in ms, doubling (default 1000). */
  readonly backoffMs?: number;
  /** Rewrites this machine's paths into the paths workers see. */
  readonly map?: readonly PathMap[];
}

export interface SubmittedBatch {
  readonly id: string;
  readonly items: readonly BatchItem[];
  /** Files refused before enqueueing (e.g. a name a job cannot carry), with why. */
  readonly rejected: readonly { file: string; error: string }[];
}

export function newBatchId(): string {
  return `b${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** What every job of a run shares: the steps with their weights' hashes, encoding, the chain hash. */
export interface JobTemplate {
  readonly steps: JobData['steps'];
  readonly encoding: Pick<JobData, 'format' | 'quality' | 'bitDepth' | 'tile' | 'overlap'>;
  readonly chainHash: string;
  readonly chain: string;
  readonly o: ParsedRestoreOptions;
}

export async function jobTemplate(o: ParsedRestoreOptions): Promise<JobTemplate> {
  const steps = resolveSteps(o);
  const jobSteps = await Promise.all(
    steps.map(async (s) => ({
      task: s.plugin.id,
      options: s.options as unknown as Record<string, unknown>,
      weights: Object.fromEntries(
        await Promise.all(
          Object.entries(s.weights).map(async ([network, path]) => [
            network,
            { sha256: await fileSha256(path!), file: basename(path!) },
          ]),
        ),
      ),
    })),
  );
  const encoding = {
    ...(o.format ? { format: o.format } : {}),
    ...(o.quality !== undefined ? { quality: o.quality } : {}),
    ...(o.bitDepth !== undefined ? { bitDepth: o.bitDepth } : {}),
    ...(o.tile !== undefined ? { tile: o.tile } : {}),
    ...(o.overlap !== undefined ? { overlap: o.overlap } : {}),
  };
  return {
    steps: jobSteps,
    encoding,
    chainHash: chainHashOf({ steps: jobSteps, ...encoding }),
    chain: steps.map((s) => s.plugin.id).join(' → '),
    o,
  };
}

/** One file's job: validated as a worker would (what it would refuse is refused here). */
export async function jobFor(
  t: JobTemplate,
  batch: string,
  file: string,
  out: string,
  outDir: string,
  map: readonly PathMap[],
  overwrite: boolean,
): Promise<{ data: JobData; jobId: string }> {
  const contentHash = await fileSha256(file);
  const data: JobData = {
    v: JOB_VERSION,
    batch,
    input: mapPath(file, map),
    contentHash,
    outDir: mapPath(outDir, map),
    output: relative(outDir, out).split('\\').join('/'),
    steps: t.steps,
    ...(t.o.preset ? { preset: t.o.preset } : {}),
    ...t.encoding,
    ...(t.o.maxPixels !== undefined ? { maxPixels: t.o.maxPixels } : {}),
    overwrite,
    chainHash: t.chainHash,
  };
  parseJob(data);
  return { data, jobId: jobIdOf(contentHash, t.chainHash) };
}

export function jobOptions(jobId: string, attempts = 3, backoffMs = 1000) {
  return {
    jobId,
    attempts,
    backoff: { type: 'exponential', delay: backoffMs },
    // Finished jobs stay: they are the exactly-once record (`durn queue clean` removes them).
    removeOnComplete: false,
    removeOnFail: false,
  };
}

export async function submitBatch(options: SubmitOptions): Promise<SubmittedBatch> {
  const { queue: url, attempts, backoffMs, map = [], ...restore } = options;
  const address = parseQueueUrl(url);
  await checkReachable(address);
  const o = parseRestoreOptions(restore);
  const t = await jobTemplate(o);
  const files = await expandInputs(o.inputs, o.outDir ? { exclude: [o.outDir] } : {});
  const baseDir = o.inputs.length === 1 ? resolvePath(o.inputs[0]!) : undefined;
  const batch = newBatchId();
  const items: BatchItem[] = [];
  const rejected: { file: string; error: string }[] = [];
  const jobs: { name: string; data: JobData; opts: { jobId: string } & Record<string, unknown> }[] = [];
  const firstFileOf = new Map<string, string>();
  for (const file of files) {
    try {
      const out = outputPath(file, o.format ?? null, {
        ...(o.outDir ? { outDir: o.outDir } : {}),
        ...(o.suffix !== undefined ? { suffix: o.suffix } : {}),
        ...(baseDir ? { baseDir } : {}),
      });
      const outDir = o.outDir ? resolvePath(o.outDir) : dirname(out);
      const { data, jobId } = await jobFor(t, batch, file, out, outDir, map, o.overwrite ?? false);
      const first = firstFileOf.get(jobId);
      items.push({ file, jobId, output: out, ...(first ? { duplicateOf: first } : {}) });
      if (first) continue;
      firstFileOf.set(jobId, file);
      jobs.push({
        name: JOB_NAME,
        data,
        opts: jobOptions(jobId, attempts, backoffMs),
      });
    } catch (err) {
      rejected.push({ file, error: formatError(err) });
    }
  }

  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(address) });
  const client = openRedis(address);
  try {
    const keys = batchKeys(batch);
    const meta: BatchMeta = {
      id: batch,
      created: Date.now(),
      chain: t.chain,
      files: items.length,
    };
    // The batch record first: a follower started right after sees every file.
    if (items.length > 0) await client.rpush(keys.items, ...items.map((i) => JSON.stringify(i)));
    await client.set(keys.meta, JSON.stringify(meta));
    await client.zadd(keys.index, meta.created, batch);
    // Ids that exist already (the same photo and chain, submitted before): a finished one is not
    // restored again; a failed one is retried, since submitting it again asks for that.
    const fresh: typeof jobs = [];
    const states = await inChunks(jobs, (j) => queue.getJobState(j.opts.jobId));
    for (const [i, job] of jobs.entries()) {
      if (states[i] === 'unknown') fresh.push(job);
      else if (states[i] === 'failed') await (await queue.getJob(job.opts.jobId))?.retry('failed');
    }
    for (let i = 0; i < fresh.length; i += 500) {
      await queue.addBulk(fresh.slice(i, i + 500) as Parameters<typeof queue.addBulk>[0]);
    }
  } finally {
    await queue.close();
    client.disconnect();
  }
  return { id: batch, items, rejected };
}
