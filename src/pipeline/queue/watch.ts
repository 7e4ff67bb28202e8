/**
 * `durn watch … --queue`: the watch folder keeps its ledger, settling and output naming, and hands
 * each settled photo to the queue instead of restoring it here, then waits for the job's outcome
 * (so the ledger, --processed and the failed folder behave as in local mode). The job id is content
 * × chain: a photo re-watched after a crash is the same job, restored once.
 */
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { type DurnErrorCode, DurnUserError } from '../../core/errors.ts';
import type { ParsedRestoreOptions } from '../run/options.ts';
import { checkReachable } from './batch-store.ts';
import { connectionOptions, parseQueueUrl } from './connection.ts';
import { jobFor, jobOptions, jobTemplate } from './enqueue.ts';
import { JOB_NAME, type JobData, type PathMap, QUEUE_NAME } from './job.ts';
import type { JobProgress, JobResult } from './worker.ts';

export interface QueueTarget {
  readonly url: string;
  readonly attempts?: number;
  readonly map?: readonly PathMap[];
}

export interface QueuedRestorer {
  /** Enqueues `file` → `output` (inside `outDir`) and resolves once a worker has restored it. */
  restore(
    file: string,
    output: string,
    outDir: string,
    overwrite: boolean,
    signal: AbortSignal,
  ): Promise<{ output: string; result: JobResult }>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function createQueuedRestorer(o: ParsedRestoreOptions, q: QueueTarget): Promise<QueuedRestorer> {
  const address = parseQueueUrl(q.url);
  await checkReachable(address);
  const t = await jobTemplate(o);
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(address) });
  const batch = `w${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  return {
    async restore(file, output, outDir, overwrite, signal) {
      const { data, jobId } = await jobFor(t, batch, file, output, outDir, q.map ?? [], overwrite);
      const state = await queue.getJobState(jobId);
      if (state === 'unknown') await queue.add(JOB_NAME, data, jobOptions(jobId, q.attempts));
      else if (state === 'failed') await (await queue.getJob(jobId))?.retry('failed');
      for (;;) {
        if (signal.aborted) throw new DurnUserError('ABORTED', 'The watch folder was stopped');
        const s = await queue.getJobState(jobId);
        if (s === 'completed' || s === 'failed') {
          const job = await queue.getJob(jobId);
          if (!job) continue;
          if (s === 'failed') {
            const p = job.progress as Partial<JobProgress> | undefined;
            throw new DurnUserError((p?.error?.code ?? 'IO') as DurnErrorCode, job.failedReason, {
              file,
              ...(p?.error?.hint ? { hint: p.error.hint } : {}),
            });
          }
          const result = job.returnvalue as JobResult;
          if (result.skipped) throw new DurnUserError('IO', result.skipped, { file: output });
          // Restored earlier for another batch or folder: its output is where that job put it.
          const same =
            (job.data as JobData).output === data.output && (job.data as JobData).outDir === data.outDir;
          return { output: same ? output : result.output, result };
        }
        await sleep(250);
      }
    },
    close: () => queue.close(),
  };
}
