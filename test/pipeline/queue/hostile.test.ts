/**
 * Jobs written straight into Redis by someone other than durn: a worker validates each before it
 * touches a file, rejects the hostile ones (traversal, escapes through symlinks, unknown steps,
 * wrong types, extra keys, a file whose content the job does not know), and writes nothing for
 * them. A real redis-server with a password (the URL carries it), a real in-process worker.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMetadata } from '../../../src/pipeline/metadata/exiftool.ts';
import { connectionOptions, parseQueueUrl } from '../../../src/pipeline/queue/connection.ts';
import { chainHashOf, JOB_NAME, type JobData, jobIdOf, QUEUE_NAME } from '../../../src/pipeline/queue/job.ts';
import {
  type QueueWorkerHandle,
  startQueueWorker,
  type WorkerEvent,
} from '../../../src/pipeline/queue/worker.ts';
import { fileSha256 } from '../../../src/pipeline/run/restore-file.ts';
import { writeScratchWeights } from '../../helpers/models.ts';
import { HAS_REDIS, startRedis, type TestRedis } from '../../helpers/redis.ts';
import { listFiles, waitFor, writeGreyPng } from '../watch/helpers.ts';

let dir: string;
let elsewhere: string;
let redis: TestRedis;
let queue: Queue;
let worker: QueueWorkerHandle;
const events: WorkerEvent[] = [];
let valid: JobData;
const savedModels = process.env.DURN_MODELS_DIR;

beforeAll(async () => {
  if (!HAS_REDIS) return;
  dir = await mkdtemp(join(tmpdir(), 'durn-hostile-'));
  elsewhere = await mkdtemp(join(tmpdir(), 'durn-hostile-elsewhere-'));
  const [weights] = await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p']);
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  await mkdir(join(dir, 'photos'));
  await mkdir(join(dir, 'out'));
  await writeGreyPng(join(dir, 'photos', 'a.png'), 1, 24);
  await writeGreyPng(join(dir, 'photos', 'secret.png'), 2, 24);
  await writeGreyPng(join(elsewhere, 'outside.png'), 3, 24);
  await symlink(elsewhere, join(dir, 'out', 'link'));
  const steps = [
    {
      task: 'denoise',
      options: { strength: 1 },
      weights: { 'durn-p': { sha256: await fileSha256(weights!), file: 'w.safetensors' } },
    },
  ];
  const chainHash = chainHashOf({ steps });
  valid = {
    v: 1,
    batch: 'bhostile',
    input: join(dir, 'photos', 'a.png'),
    contentHash: await fileSha256(join(dir, 'photos', 'a.png')),
    outDir: join(dir, 'out'),
    output: 'a.png',
    steps,
    overwrite: false,
    chainHash,
  };
  redis = await startRedis({ password: 'p@ss w0rd' });
  queue = new Queue(QUEUE_NAME, { connection: connectionOptions(parseQueueUrl(redis.url)) });
  worker = await startQueueWorker(
    { queue: redis.url, workers: 1, device: 'cpu', name: 'guard', allow: [dir], lockMs: 5000 },
    (e) => events.push(e),
  );
});

afterAll(async () => {
  await worker?.stop();
  await queue?.close();
  await redis?.stop();
  await closeMetadata();
  if (savedModels === undefined) delete process.env.DURN_MODELS_DIR;
  else process.env.DURN_MODELS_DIR = savedModels;
  if (dir) await rm(dir, { recursive: true, force: true });
  if (elsewhere) await rm(elsewhere, { recursive: true, force: true });
});

/** Adds a job (id derived the way durn derives it unless given) and waits for its outcome. */
async function run(data: unknown, id?: string): Promise<{ state: string; reason: string; result?: unknown }> {
  const d = data as JobData;
  const jobId =
    id ??
    (typeof d.contentHash === 'string' && typeof d.chainHash === 'string'
      ? jobIdOf(d.contentHash, d.chainHash)
      : `rbad${Math.random().toString(16).slice(2)}`);
  await queue.add(JOB_NAME, data, { jobId, attempts: 1 });
  let state = '';
  await waitFor(async () => {
    state = await queue.getJobState(jobId);
    return state === 'completed' || state === 'failed';
  }, `job ${jobId}`);
  const job = await queue.getJob(jobId);
  await job?.remove();
  return { state, reason: job?.failedReason ?? '', ...(job?.returnvalue ? { result: job.returnvalue } : {}) };
}

/** A variant of the valid job with consistent hashes (so only the hostile part can fail it). */
async function variant(patch: Partial<JobData>): Promise<JobData> {
  const d = { ...valid, ...patch };
  return { ...d, chainHash: chainHashOf(d) };
}

describe.skipIf(!HAS_REDIS)('hostile jobs', () => {
  it('rejects traversal, escapes, unknown steps, wrong types and extra keys, writing nothing', async () => {
    const cases: [string, unknown, RegExp][] = [
      [
        'traversal',
        await variant({ output: '../../escape.png' }),
        /relative image path inside the output folder/,
      ],
      ['absolute output', await variant({ output: `${elsewhere}/x.png` }), /relative image path/],
      ['symlink escape', await variant({ output: 'link/x.png' }), /resolves outside/],
      [
        'unknown step',
        await variant({ steps: [{ ...valid.steps[0]!, task: 'format-disk' }] }),
        /one of .*denoise/,
      ],
      ['wrong types', { ...valid, quality: 'high', overwrite: 'yes' }, /Expected .* for (quality|overwrite)/],
      ['extra key', { ...valid, command: 'rm -rf /' }, /Unknown key "command"/],
      ['not a job', 'rm -rf /', /Expected an object/],
      [
        'input outside --allow',
        {
          ...valid,
          input: join(elsewhere, 'outside.png'),
          contentHash: await fileSha256(join(elsewhere, 'outside.png')),
        },
        /outside the folders this worker allows/,
      ],
      [
        'unknown content',
        { ...valid, input: join(dir, 'photos', 'secret.png') },
        /content changed since it was submitted/,
      ],
      ['forged id', valid, /id or chain hash does not match/],
    ];
    for (const [what, data, reason] of cases) {
      const r = await run(data, what === 'forged id' ? 'rforged' : undefined);
      expect(r.state, what).toBe('failed');
      expect(r.reason, what).toMatch(reason);
    }
    expect(await listFiles(join(dir, 'out'))).toEqual([]);
    expect(await listFiles(elsewhere)).toEqual(['outside.png']);
    expect(existsSync(join(dir, 'out', '../../escape.png'))).toBe(false);
    expect(events.filter((e) => e.type === 'file-done')).toEqual([]);
  });

  it('restores the valid job the hostile ones were made from (through a password URL)', async () => {
    const r = await run(valid);
    expect(r).toMatchObject({ state: 'completed', reason: '', result: { worker: 'guard' } });
    expect(await listFiles(join(dir, 'out'))).toEqual(['a.png']);
    // The same job again (as after a crash between writing and completing): it replaces its own output…
    const again = await run(valid);
    expect(again.state).toBe('completed');
    expect(again.result).not.toHaveProperty('skipped');
    // …but another job never replaces an output that is not its own.
    const secret = join(dir, 'photos', 'secret.png');
    const other = await run({ ...valid, input: secret, contentHash: await fileSha256(secret) });
    expect(other.result).toMatchObject({ skipped: expect.stringMatching(/already exists/) });
  });

  it('a job can never overwrite an original, even when asked to', async () => {
    const r = await run(await variant({ outDir: join(dir, 'photos'), output: 'a.png', overwrite: true }));
    expect(r.state).toBe('failed');
    expect(r.reason).toMatch(/originals are never overwritten/);
  });

  it('refuses a wrong password at once, naming the server but not the password', async () => {
    const wrong = redis.url.replace(/:[^@/]*@/, ':n0t-it@');
    const err = await startQueueWorker({ queue: wrong }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /^Could not reach the queue at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: WRONGPASS/,
    );
    expect(err?.message).not.toContain('n0t-it');
  });
});
