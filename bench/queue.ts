/**
 * Distributed mode's throughput on one machine, with the real binary and a real redis-server:
 *   1. a batch restored locally (`durn restore --workers 1`) vs through the queue with one
 *      `durn worker --workers 1` (the queue's overhead: jobs, locks, polling);
 *   2. two worker processes of one thread each vs one (`--workers 1 --threads 1`): scaling out.
 * Workers are started (and warm) before the clock starts, as long-running workers are; the
 * submitter's time runs from its start to its exit (hashing, enqueueing, following). Each run uses
 * photos of its own content, so no job is a duplicate of an earlier one.
 *
 *   npm run bench -- queue [--files 200] [--size 32]
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { BIN, ensureBuilt } from '../test/helpers/build.ts';
import { writeScratchWeights } from '../test/helpers/models.ts';
import { HAS_REDIS, startRedis } from '../test/helpers/redis.ts';
import { type Proc, startWorker, stopWorker } from '../test/pipeline/queue/helpers.ts';

function option(args: string[], flag: string, fallback: number): number {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

async function photos(dir: string, n: number, size: number, round: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let k = 0; k < n; k++) {
    // Pseudo-random pixels seeded per round and file: no two photos share content (or a job id).
    const px = Buffer.alloc(size * size);
    let x = (round * 1_000_003 + k * 7919 + 1) >>> 0;
    for (let i = 0; i < px.length; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      px[i] = x >>> 24;
    }
    const png = await sharp(px, { raw: { width: size, height: size, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    await writeFile(join(dir, `p${String(k).padStart(4, '0')}.png`), png);
  }
}

/** Runs `durn …args --json` to its exit; returns seconds, failing unless all `files` were restored. */
function timed(args: string[], env: Record<string, string>, files: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args, '--json'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      const seconds = (performance.now() - t0) / 1000;
      const done = out.match(/"type":"run-done","summary":\{"done":(\d+)/)?.[1];
      if (code === 0 && Number(done) === files) resolve(seconds);
      else
        reject(
          new Error(
            `durn ${args[0]} exited ${code}, ${done ?? '?'} of ${files} restored: ${out.slice(-2000)}`,
          ),
        );
    });
  });
}

export default async function main(args: string[]): Promise<void> {
  if (!HAS_REDIS) {
    console.log('redis-server is not installed (apt-get install redis-server): nothing to measure');
    return;
  }
  const files = option(args, '--files', 200);
  const size = option(args, '--size', 32);
  ensureBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'durn-bench-queue-'));
  const redis = await startRedis();
  const env = { DURN_MODELS_DIR: join(dir, 'models'), DURN_WEIGHTS_DIR: join(dir, 'no-weights') };
  await writeScratchWeights(env.DURN_MODELS_DIR, 'denoise', ['durn-p']);
  const workers: Proc[] = [];
  let round = 0;
  const batch = async () => {
    round += 1;
    const input = join(dir, `in${round}`);
    await photos(input, files, size, round);
    return { input, out: join(dir, `out${round}`) };
  };
  const restore = (b: { input: string; out: string }, extra: string[]) =>
    timed(['restore', b.input, '--task', 'denoise', '--out', b.out, ...extra], env, files);
  const queued = (b: { input: string; out: string }) => restore(b, ['--queue', redis.url]);
  try {
    console.log(
      `${files} photos of ${size}×${size} (grey, DuRN-P scratch weights), ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
    );
    const local = await restore(await batch(), ['--workers', '1']);
    workers.push(await startWorker(redis.url, 'one', env, ['--lock-ms', '30000']));
    const one = await queued(await batch());
    await stopWorker(workers.pop()!);
    console.log(
      `local durn restore --workers 1:    ${local.toFixed(1)} s (${(files / local).toFixed(1)} files/s)`,
    );
    console.log(
      `queue, 1 worker --workers 1:       ${one.toFixed(1)} s (${(files / one).toFixed(1)} files/s)  → ${(local / one).toFixed(2)}× local`,
    );

    const thin = ['--lock-ms', '30000', '--threads', '1'];
    workers.push(await startWorker(redis.url, 'solo', env, thin));
    const single = await queued(await batch());
    await stopWorker(workers.pop()!);
    workers.push(
      ...(await Promise.all([
        startWorker(redis.url, 'left', env, thin),
        startWorker(redis.url, 'right', env, thin),
      ])),
    );
    const pair = await queued(await batch());
    console.log(
      `queue, 1 worker × 1 thread:        ${single.toFixed(1)} s (${(files / single).toFixed(1)} files/s)`,
    );
    console.log(
      `queue, 2 workers × 1 thread:       ${pair.toFixed(1)} s (${(files / pair).toFixed(1)} files/s)  → ${(single / pair).toFixed(2)}× one worker`,
    );
  } finally {
    await Promise.all(workers.map(stopWorker));
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
