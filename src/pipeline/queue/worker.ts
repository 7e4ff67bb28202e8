/**
 * `durn worker`: takes restore jobs from the queue and runs each with the local pipeline (the
 * same restoreFile as `durn restore`: tiling, worker threads, metadata, atomic writes).
 *
 * Nothing in a job is trusted: it is validated (parseJob), its paths are mapped and confined (the
 * output stays inside the folder the job names, symlinks included; with --allow, inputs and
 * outputs stay inside the allowed folders), its input must have the content hash the job states
 * (so a job can only restore a photo whose content its author already had), and its weights are
 * this machine's files with the stated hashes. Nothing from a job is ever executed.
 *
 * BullMQ's locks give each job to one worker at a time; a worker killed mid-job loses its lock and
 * the job is re-run elsewhere (stalled-job recovery). The re-run replaces only its own output:
 * an existing output is replaced only when its provenance names this job.
 */
import { mkdir, readdir, realpath, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { DurnUserError, formatError, isUserError } from '../../core/errors.ts';
import { isDurnTempFile } from '../../core/fs/atomic.ts';
import type { NetworkId } from '../../models/graph/types.ts';
import { getPlugin } from '../../plugins/registry.ts';
import type { RunEvent } from '../events.ts';
import { readProvenance } from '../metadata/copy.ts';
import { TilePool } from '../pool/pool.ts';
import { fileSha256, restoreFile } from '../run/restore-file.ts';
import type { ResolvedStep } from '../run/restore-tensor.ts';
import { batchKeys, checkReachable, openRedis } from './batch-store.ts';
import { connectionOptions, parseQueueUrl } from './connection.ts';
import {
  chainHashOf,
  isInside,
  type JobData,
  jobIdOf,
  mapPath,
  type ParsedJob,
  type PathMap,
  parseJob,
  QUEUE_NAME,
} from './job.ts';

export interface QueueWorkerOptions {
  readonly queue: string;
  /** Files restored at once (default 1; tiles of one file already use every thread). */
  readonly concurrency?: number;
  /** Inference worker threads (default: one per core). */
  readonly workers?: number;
  /** Intra-op threads per inference thread (default: cores / workers). */
  readonly threads?: number;
  readonly engine?: 'auto' | 'onnx' | 'tfjs';
  readonly device?: 'auto' | 'cpu' | 'cuda';
  /** Shown in results and `durn queue status` (default host:pid). */
  readonly name?: string;
  /** Rewrites the paths jobs name into this machine's paths. */
  readonly map?: readonly PathMap[];
  /** When given, inputs and outputs must lie inside one of these folders. */
  readonly allow?: readonly string[];
  /** More folders to find weights in, by hash. */
  readonly weightsDirs?: readonly string[];
  /** BullMQ lock duration (ms): how soon a dead worker's job is re-run elsewhere (default 30000). */
  readonly lockMs?: number;
}

/** What a worker reports: run events for the file it restores, plus its own. */
export type WorkerEvent =
  | RunEvent
  | { readonly type: 'worker-start'; readonly name: string; readonly queue: string; readonly engine: string }
  | { readonly type: 'job-start'; readonly job: string; readonly file: string; readonly batch: string }
  | { readonly type: 'job-rejected'; readonly job: string; readonly error: string }
  | { readonly type: 'worker-stop'; readonly name: string };

export interface JobResult {
  readonly output: string;
  readonly worker: string;
  readonly host: string;
  readonly engine: string;
  readonly seconds: number;
  readonly megapixels: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Set when nothing was written because the output existed (local mode skips it too). */
  readonly skipped?: string;
}

/** Progress a worker publishes on its job, for followers: who, and the photo's size once decoded. */
export interface JobProgress {
  readonly worker: string;
  readonly width?: number;
  readonly height?: number;
  readonly steps?: readonly { task: string; network: string }[];
  readonly error?: { readonly code: string; readonly hint?: string };
}

export interface QueueWorkerHandle {
  readonly name: string;
  /** Finishes the files in progress (or hands them back when forced), then closes. */
  stop(force?: boolean): Promise<void>;
  readonly done: Promise<void>;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

export async function startQueueWorker(
  opts: QueueWorkerOptions,
  onEvent: (e: WorkerEvent) => void = () => {},
): Promise<QueueWorkerHandle> {
  const address = parseQueueUrl(opts.queue);
  await checkReachable(address);
  const host = hostname();
  const name = opts.name ?? `${host}:${process.pid}`;
  const maps = opts.map ?? [];
  const allow = (opts.allow ?? []).map((d) => resolve(d));
  const engineChoice = opts.engine ?? 'auto';
  const pool = new TilePool({
    ...(opts.workers ? { workers: opts.workers } : {}),
    ...(opts.threads ? { threadsPerWorker: opts.threads } : {}),
    engine: engineChoice,
    device: opts.device ?? 'auto',
    onNotice: (message) => onEvent({ type: 'notice', message }),
  });
  const { WeightsIndex } = await import('./weights-index.ts');
  const weights = new WeightsIndex(opts.weightsDirs ?? []);

  const reject = (job: Job, message: string): never => {
    onEvent({ type: 'job-rejected', job: String(job.id), error: message });
    throw new UnrecoverableError(`Rejected job ${job.id} on worker ${name}: ${message}`);
  };

  /** Validates and maps a job into what restoreFile needs, or rejects it (no retry). */
  async function prepare(job: Job): Promise<{ d: ParsedJob; input: string; output: string; outDir: string }> {
    let d: ParsedJob;
    try {
      d = parseJob(job.data);
    } catch (err) {
      return reject(job, formatError(err));
    }
    if (chainHashOf(job.data as JobData) !== d.chainHash || job.id !== jobIdOf(d.contentHash, d.chainHash)) {
      return reject(job, 'its id or chain hash does not match its content (a job must be enqueued by durn)');
    }
    const input = mapPath(d.input, maps);
    const outDir = mapPath(d.outDir, maps);
    const output = resolve(outDir, d.output);
    if (!isInside(output, outDir) || output === outDir)
      reject(job, `its output ${d.output} is outside ${outDir}`);
    for (const [what, p] of [
      ['input', input],
      ['output folder', outDir],
    ] as const) {
      if (allow.length > 0 && !allow.some((a) => isInside(p, a))) {
        reject(job, `its ${what} ${p} is outside the folders this worker allows (${allow.join(', ')})`);
      }
    }
    if (output === input) reject(job, `its output is its input (${input}); originals are never overwritten`);
    return { d, input, output, outDir };
  }

  async function resolveJobSteps(d: ParsedJob): Promise<ResolvedStep[]> {
    return Promise.all(
      d.steps.map(async (s) => {
        const plugin = getPlugin(s.task);
        const paths: Partial<Record<NetworkId, string>> = {};
        for (const [network, w] of Object.entries(s.weights)) {
          paths[network as NetworkId] = await weights.find(
            w!.sha256,
            { file: w!.file, task: s.task, network },
            name,
          );
        }
        return { plugin, options: s.options, weights: paths };
      }),
    );
  }

  /** The output folder exists and, symlinks resolved, still contains the output's folder. */
  async function confine(job: Job, outDir: string, output: string): Promise<void> {
    await mkdir(dirname(output), { recursive: true });
    const [realDir, realParent] = await Promise.all([realpath(outDir), realpath(dirname(output))]);
    if (!isInside(realParent, realDir)) reject(job, `its output ${output} resolves outside ${realDir}`);
    if (
      await stat(output).then(
        (s) => !s.isFile(),
        () => false,
      )
    )
      reject(job, `its output ${output} is not a file`);
  }

  /** Temp files a crashed attempt at this output left behind (kill -9 mid-write). */
  async function removeOwnTemps(output: string): Promise<void> {
    const ext = extname(output);
    const stem = `.${basename(output, ext)}.durn-tmp-`;
    for (const n of await readdir(dirname(output)).catch(() => [] as string[])) {
      if (n.startsWith(stem) && n.endsWith(ext) && isDurnTempFile(n))
        await unlink(join(dirname(output), n)).catch(() => {});
    }
  }

  async function isOwnOutput(output: string, jobId: string): Promise<boolean> {
    const records = await readProvenance(output).catch(() => []);
    return records.some(
      (r) => (r.Parameters as { options?: { job?: unknown } } | undefined)?.options?.job === jobId,
    );
  }

  const processor = async (job: Job): Promise<JobResult> => {
    const { d, input, output, outDir } = await prepare(job);
    const jobId = String(job.id);
    onEvent({ type: 'job-start', job: jobId, file: input, batch: d.batch });
    let progress: JobProgress = { worker: name };
    await job.updateProgress(progress as unknown as object);
    try {
      const info = await stat(input).catch((err: NodeJS.ErrnoException) => {
        throw new DurnUserError(
          'INVALID_INPUT',
          `Expected a readable file for ${input} on worker ${name} but received ${err.code ?? err.message}`,
          {
            file: input,
            hint: 'mount the shared folder at the same path on every worker, or map it with `durn worker --map FROM=TO`',
          },
        );
      });
      if (!info.isFile())
        throw new DurnUserError(
          'INVALID_INPUT',
          `Expected a file for ${input} on worker ${name} but received a folder or device`,
          { file: input },
        );
      if ((await fileSha256(input)) !== d.contentHash) {
        throw new UnrecoverableError(
          `${input}: its content changed since it was submitted (worker ${name}); submit it again`,
        );
      }
      const steps = await resolveJobSteps(d);
      await confine(job, outDir, output);
      const rerun = job.attemptsStarted > 1 || job.stalledCounter > 0;
      if (rerun) await removeOwnTemps(output);
      let overwrite = d.overwrite;
      if (!overwrite && (await exists(output))) {
        if (!(await isOwnOutput(output, jobId))) {
          return {
            output,
            worker: name,
            host,
            engine: '',
            seconds: 0,
            megapixels: 0,
            bytesIn: info.size,
            bytesOut: 0,
            skipped: `${output} already exists (use --overwrite to replace it)`,
          };
        }
        overwrite = true; // our own output from an attempt that died after writing it
      }
      const t0 = performance.now();
      const r = await restoreFile(
        input,
        output,
        steps,
        {
          ...(d.format ? { format: d.format } : {}),
          ...(d.quality ? { quality: d.quality } : {}),
          ...(d.bitDepth ? { bitDepth: d.bitDepth } : {}),
          overwrite,
          ...(d.maxPixels ? { maxPixels: d.maxPixels } : {}),
          tiling: {
            ...(d.tile ? { tile: d.tile } : {}),
            ...(d.overlap !== undefined ? { overlap: d.overlap } : {}),
          },
          recordedOptions: {
            ...(d.preset ? { preset: d.preset } : {}),
            ...(d.tile ? { tile: d.tile } : {}),
            job: jobId,
          },
        },
        {
          pool,
          emit: (e) => {
            if (e.type === 'file-start') {
              progress = { worker: name, width: e.width, height: e.height, steps: e.steps };
              void job.updateProgress(progress as unknown as object).catch(() => {});
            }
            onEvent(e);
          },
        },
      );
      const result: JobResult = {
        worker: name,
        host,
        engine: pool.engineDescription,
        seconds: (performance.now() - t0) / 1000,
        ...r,
      };
      onEvent({ type: 'file-done', file: input, ...result });
      return result;
    } catch (err) {
      if (err instanceof UnrecoverableError) throw err;
      const message = formatError(err).split('\n')[0]!;
      const withWorker = message.includes(name) ? message : `${message} (worker ${name})`;
      onEvent({
        type: 'file-failed',
        file: input,
        error: withWorker,
        code: isUserError(err) ? err.code : 'BUG',
        ...(isUserError(err) && err.hint ? { hint: err.hint } : {}),
      });
      await job
        .updateProgress({
          ...progress,
          error: {
            code: isUserError(err) ? err.code : 'BUG',
            ...(isUserError(err) && err.hint ? { hint: err.hint } : {}),
          },
        } as unknown as object)
        .catch(() => {});
      // A file that is not an image stays one: fail now instead of burning the attempts.
      if (isUserError(err) && (err.code === 'UNSUPPORTED_FORMAT' || err.code === 'IMAGE_TOO_LARGE'))
        throw new UnrecoverableError(withWorker);
      throw new Error(withWorker);
    }
  };

  const lock = opts.lockMs ?? 30_000;
  const worker = new Worker(QUEUE_NAME, processor, {
    connection: connectionOptions(address),
    concurrency: opts.concurrency ?? 1,
    lockDuration: lock,
    stalledInterval: lock,
    maxStalledCount: 2,
    name,
    autorun: false,
  });
  worker.on('error', (err) => onEvent({ type: 'notice', message: `queue: ${err.message}` }));

  // Advertise: name, host, engine, device, threads; `durn queue status` lists live workers.
  const client = openRedis(address);
  const keys = batchKeys('none');
  const advertise = async () => {
    const info = {
      name,
      host,
      pid: process.pid,
      engine: pool.engineDescription || engineChoice,
      device: opts.device ?? 'auto',
      threads: pool.workers,
      concurrency: opts.concurrency ?? 1,
    };
    await client.hset(keys.workerInfo, name, JSON.stringify(info));
    await client.zadd(keys.workers, Date.now(), name);
  };
  await advertise();
  const beat = setInterval(() => void advertise().catch(() => {}), 5000);
  beat.unref();

  onEvent({ type: 'worker-start', name, queue: address.redacted, engine: engineChoice });
  const running = worker.run();
  let stopping: Promise<void> | null = null;
  const stop = (force = false) => {
    stopping ??= (async () => {
      clearInterval(beat);
      await worker.close(force);
      await running.catch(() => {});
      await client.zrem(keys.workers, name).catch(() => {});
      await client.hdel(keys.workerInfo, name).catch(() => {});
      client.disconnect();
      await pool.close();
      onEvent({ type: 'worker-stop', name });
    })();
    return stopping;
  };
  return { name, stop, done: running.then(() => stopping ?? undefined) };
}
