/**
 * Distributed mode end to end: a real redis-server, real `durn worker` processes (bin/durn.js from
 * dist/), real submitters. Tiny grey photos and scratch DuRN-P weights keep it quick on two cores.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMetadata } from '../../../src/pipeline/metadata/exiftool.ts';
import { runRestore } from '../../../src/pipeline/run/run.ts';
import { watchFolder } from '../../../src/pipeline/watch/index.ts';
import { ensureBuilt } from '../../helpers/build.ts';
import { writeScratchWeights } from '../../helpers/models.ts';
import { HAS_REDIS, startRedis, type TestRedis } from '../../helpers/redis.ts';
import { listFiles, sha256, waitFor, writeGreyPng } from '../watch/helpers.ts';
import { doneFiles, durn, type Proc, samePixels, startWorker, stopWorker } from './helpers.ts';

let dir: string;
let photos: string;
let local: string;
let weightsFile: string;
let env: Record<string, string>;
const names = Array.from({ length: 100 }, (_, i) => `p${String(i).padStart(3, '0')}.png`);
const savedModels = process.env.DURN_MODELS_DIR;
const running: Proc[] = [];
const servers: TestRedis[] = [];

const summaryOf = (p: Proc) =>
  p.events.find((e) => e.type === 'run-done')?.summary as
    | { done: number; failed: number; skipped: number; failures: { file: string; error: string }[] }
    | undefined;

beforeAll(async () => {
  if (!HAS_REDIS) return;
  ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'durn-queue-'));
  weightsFile = (await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p']))[0]!;
  env = { DURN_MODELS_DIR: join(dir, 'models') };
  process.env.DURN_MODELS_DIR = env.DURN_MODELS_DIR;
  photos = join(dir, 'photos');
  await mkdir(photos);
  const hashes = new Set<string>();
  for (const [i, n] of names.entries()) hashes.add(sha256(await writeGreyPng(join(photos, n), i, 32)));
  expect(hashes.size).toBe(names.length);
  // The reference: the same photos restored locally, one worker thread.
  local = join(dir, 'local');
  const s = await runRestore({ inputs: [photos], task: 'denoise', outDir: local, workers: 1 });
  expect(s.done).toBe(names.length);
});

afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  for (const r of servers) await r.stop();
  if (savedModels === undefined) delete process.env.DURN_MODELS_DIR;
  else process.env.DURN_MODELS_DIR = savedModels;
  await closeMetadata();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function redis(opts: { aof?: boolean } = {}): Promise<TestRedis> {
  const r = await startRedis(opts);
  servers.push(r);
  return r;
}

async function worker(
  url: string,
  name: string,
  extraEnv: Record<string, string> = {},
  extra: string[] = [],
) {
  const w = await startWorker(url, name, { ...env, ...extraEnv }, extra);
  running.push(w);
  return w;
}

function submit(args: string[]): Proc {
  const p = durn(['restore', ...args, '--task', 'denoise', '--json'], env);
  running.push(p);
  return p;
}

describe.skipIf(!HAS_REDIS)('durn restore --queue with durn worker processes', () => {
  it('restores 100 photos with 2 workers: every output once, pixel-equal to local mode', async () => {
    const r = await redis();
    const [a, b] = await Promise.all([worker(r.url, 'wa'), worker(r.url, 'wb')]);
    const out = join(dir, 'q100');
    const s = submit([photos, '--out', out, '--queue', r.url]);
    expect(await s.exited, s.text).toBe(0);
    const skips = s.events.filter((e) => e.type === 'file-skipped');
    expect(skips, JSON.stringify(skips) + a.text + b.text).toEqual([]);
    expect(summaryOf(s)).toMatchObject({ done: 100, failed: 0, skipped: 0 });
    expect(await listFiles(out)).toEqual(names);
    expect(await samePixels(local, out, names)).toEqual([]);
    // Exactly once: the two workers' restorations, together, are the 100 files, none twice.
    const done = [...doneFiles(a), ...doneFiles(b)];
    expect(done.length).toBe(100);
    expect(new Set(done).size).toBe(100);
    const byWorker = s.events.filter((e) => e.type === 'file-done').map((e) => e.worker);
    expect(byWorker.every((w) => w === 'wa' || w === 'wb')).toBe(true);
    // Submitting again restores nothing: same content × chain, same jobs.
    const again = submit([photos, '--out', join(dir, 'q100-again'), '--queue', r.url]);
    expect(await again.exited, again.text).toBe(0);
    expect(summaryOf(again)).toMatchObject({ done: 0, failed: 0, skipped: 100 });
    expect([...doneFiles(a), ...doneFiles(b)].length).toBe(100);
    expect(await Promise.all([stopWorker(a), stopWorker(b)])).toEqual([0, 0]);
  });

  it('survives kill -9 of a worker mid-batch: the other finishes every job, no duplicates, no partial files', async () => {
    const r = await redis();
    const [a, b] = await Promise.all([worker(r.url, 'ka'), worker(r.url, 'kb')]);
    const out = join(dir, 'qkill');
    const s = submit([join(photos, 'p0[0-3]*.png'), '--out', out, '--queue', r.url]);
    // Kill ka while it holds a job (started, not finished).
    let victim = '';
    await waitFor(() => {
      const started = a.events.filter((e) => e.type === 'job-start').map((e) => e.file as string);
      victim = started.find((f) => !doneFiles(a).includes(f)) ?? '';
      return victim !== '' || s.child.exitCode !== null;
    }, 'ka to take a job');
    a.child.kill('SIGKILL');
    expect(await s.exited, s.text).toBe(0);
    const expected = names.slice(0, 40);
    const skips = s.events.filter((e) => e.type === 'file-skipped');
    expect(skips, JSON.stringify(skips) + b.text).toEqual([]);
    expect(summaryOf(s)).toMatchObject({ done: 40, failed: 0 });
    expect(await listFiles(out)).toEqual(expected); // no temp file, nothing else
    expect(await samePixels(local, out, expected)).toEqual([]);
    const done = [...doneFiles(a), ...doneFiles(b)];
    expect(new Set(done).size).toBe(40);
    // Only the file ka was killed on may have been written twice (by its own job, replacing itself).
    expect(done.filter((f, i) => done.indexOf(f) !== i).every((f) => f === victim)).toBe(true);
    expect(await stopWorker(b)).toBe(0);
  });

  it('completes a batch across a Redis restart (AOF on)', async () => {
    const r = await redis({ aof: true });
    const [a, b] = await Promise.all([worker(r.url, 'ra'), worker(r.url, 'rb')]);
    const out = join(dir, 'qrestart');
    const s = submit([join(photos, 'p0[4-7]*.png'), '--out', out, '--queue', r.url]);
    await waitFor(
      () => doneFiles(a).length + doneFiles(b).length >= 5 || s.child.exitCode !== null,
      'a few files',
    );
    await r.restart();
    expect(await s.exited, s.text).toBe(0);
    const expected = names.slice(40, 80);
    expect(summaryOf(s)).toMatchObject({ done: 40, failed: 0 });
    expect(await listFiles(out)).toEqual(expected);
    expect(await samePixels(local, out, expected)).toEqual([]);
    expect(await Promise.all([stopWorker(a), stopWorker(b)])).toEqual([0, 0]);
  });

  it('fails jobs whose weights a worker lacks (naming the file) and a corrupt photo (with the reason); queue retry re-runs only failed jobs', async () => {
    const r = await redis();
    const mixed = join(dir, 'mixed');
    await mkdir(mixed);
    for (const n of names.slice(80, 83)) await copyFile(join(photos, n), join(mixed, n));
    await writeFile(join(mixed, 'broken.png'), 'not a png at all');
    const extra = join(dir, 'extra-weights');
    await mkdir(extra);
    const w = await worker(r.url, 'lack', { DURN_MODELS_DIR: join(dir, 'empty-models') }, [
      '--weights-dir',
      extra,
    ]);
    const out = join(dir, 'qmixed');
    const s = submit([mixed, '--out', out, '--queue', r.url, '--attempts', '1']);
    expect(await s.exited, s.text).toBe(1);
    const first = summaryOf(s)!;
    expect(first).toMatchObject({ done: 0, failed: 4 });
    for (const f of first.failures) expect(f.error).toMatch(/denoise-gray\.durn-p\.safetensors.*worker lack/);
    const batch = s.events.find((e) => e.type === 'batch')!.batch as string;

    // Install the weights; a retry now restores the good photos and fails the corrupt one with the local-mode reason.
    await copyFile(weightsFile, join(extra, 'installed.safetensors'));
    const retry = durn(['queue', 'retry', batch, '--queue', r.url], env);
    expect(await retry.exited, retry.text).toBe(0);
    expect(retry.text).toMatch(/4 failed job\(s\)/);
    const f1 = durn(['queue', 'follow', batch, '--queue', r.url, '--json'], env);
    expect(await f1.exited, f1.text).toBe(1);
    expect(summaryOf(f1)).toMatchObject({ done: 3, failed: 1 });
    expect(summaryOf(f1)!.failures[0]!.file).toMatch(/broken\.png$/);
    expect(summaryOf(f1)!.failures[0]!.error).toMatch(
      /Expected an image .* but received a file sharp cannot decode/,
    );
    expect(await listFiles(out)).toEqual(names.slice(80, 83));

    // Again: only the corrupt photo's job runs.
    const startsBefore = w.events.filter((e) => e.type === 'job-start').length;
    const retry2 = durn(['queue', 'retry', batch, '--queue', r.url], env);
    expect(await retry2.exited).toBe(0);
    expect(retry2.text).toMatch(/1 failed job\(s\)/);
    const f2 = durn(['queue', 'follow', batch, '--queue', r.url, '--json'], env);
    expect(await f2.exited).toBe(1);
    const starts = w.events.filter((e) => e.type === 'job-start').slice(startsBefore);
    expect(starts.map((e) => e.file)).toEqual([join(mixed, 'broken.png')]);
    expect(await stopWorker(w)).toBe(0);
  });

  it('durn watch --queue keeps its ledger and enqueues: each photo restored once, by a worker, where local mode puts it', async () => {
    const r = await redis();
    const w = await worker(r.url, 'wq');
    const inbox = join(dir, 'inbox');
    const out = join(dir, 'watched');
    await mkdir(inbox);
    const events: { type: string; worker?: string }[] = [];
    const h = await watchFolder(
      { input: inbox, out, task: 'denoise', settleMs: 100, queue: { url: r.url } },
      (e) => events.push(e),
    );
    await h.ready;
    const some = names.slice(83, 88);
    for (const n of some) await copyFile(join(photos, n), join(inbox, n));
    await waitFor(
      () => events.filter((e) => e.type === 'file-done').length >= some.length,
      'the watched photos',
    );
    // The same content again under another name: the ledger knows it, nothing is enqueued.
    await copyFile(join(photos, some[0]!), join(inbox, 'again.png'));
    await waitFor(() => events.some((e) => e.type === 'file-skipped'), 'the copy to be recognised');
    await h.stop();
    expect((await listFiles(out)).filter((f) => !f.startsWith('.durn'))).toEqual(some);
    expect(await samePixels(local, out, some)).toEqual([]);
    expect(events.filter((e) => e.type === 'file-done').every((e) => e.worker === 'wq')).toBe(true);
    expect(doneFiles(w).length).toBe(some.length);
    expect(await stopWorker(w)).toBe(0);
  });
});
