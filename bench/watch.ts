/**
 * Throughput of the watch folder against `durn restore` on the same burst of photos: is the
 * watcher's bookkeeping (settling, content hashes, the fsynced ledger, no-clobber naming) cheap
 * next to the restoration itself? Both timings include starting the worker pool; the watch timing
 * runs from starting the watcher, through a burst of files renamed into its folder, to the last
 * one recorded done. Rounds alternate so a busy neighbour slows both alike.
 *
 *   npm run bench -- watch [--files 200] [--size 16] [--rounds 2] [--workers 2] [--settle 200]
 *   node bench/watch.ts …   (the same, directly)
 */
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { closeMetadata } from '../src/pipeline/metadata/exiftool.ts';
import { runRestore } from '../src/pipeline/run/run.ts';
import { watchFolder } from '../src/pipeline/watch/index.ts';
import { writeScratchWeights } from '../test/helpers/models.ts';

function option(args: string[], flag: string, fallback: number): number {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

async function photos(dir: string, n: number, size: number, round: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let k = 0; k < n; k++) {
    const px = Buffer.alloc(size * size);
    for (let i = 0; i < px.length; i++) px[i] = (i * 7 + k * 13 + round * 101 + ((i / size) | 0) * 3) % 251;
    const png = await sharp(px, { raw: { width: size, height: size, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    await writeFile(join(dir, `p${String(k).padStart(4, '0')}.png`), png);
  }
}

async function timeRestore(input: string, out: string, workers: number): Promise<number> {
  const t0 = performance.now();
  const s = await runRestore({ inputs: [input], task: 'denoise', outDir: out, workers });
  if (s.done !== (await readdir(input)).length) throw new Error(`durn restore failed ${s.failed} file(s)`);
  return (performance.now() - t0) / 1000;
}

async function timeWatch(staged: string, base: string, workers: number, settleMs: number): Promise<number> {
  const input = join(base, 'in');
  await mkdir(input, { recursive: true });
  const names = await readdir(staged);
  let done = 0;
  let failed = 0;
  let finished: () => void = () => {};
  const allDone = new Promise<void>((r) => {
    finished = r;
  });
  const t0 = performance.now();
  const handle = await watchFolder(
    { input, out: join(base, 'out'), task: 'denoise', workers, settleMs },
    (e) => {
      if (e.type !== 'ledger') return;
      ({ done, failed } = e);
      if (done + failed >= names.length) finished();
    },
  );
  await handle.ready;
  for (const n of names) await rename(join(staged, n), join(input, n)); // the burst
  await allDone;
  const seconds = (performance.now() - t0) / 1000;
  await handle.stop();
  if (failed > 0) throw new Error(`the watcher failed ${failed} file(s)`);
  return seconds;
}

export default async function main(args: string[]): Promise<void> {
  const files = option(args, '--files', 200);
  const size = option(args, '--size', 16);
  const rounds = option(args, '--rounds', 2);
  const workers = option(args, '--workers', 2);
  const settleMs = option(args, '--settle', 200);
  const dir = await mkdtemp(join(tmpdir(), 'durn-bench-watch-'));
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p']);
  console.log(
    `watch vs restore: ${files} grey ${size}×${size} PNGs, denoise (durn-p, scratch weights), ` +
      `${workers} workers, settle ${settleMs} ms, ${rounds} round(s)`,
  );
  const restoreTimes: number[] = [];
  const watchTimes: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const a = join(dir, `r${r}`, 'restore-in');
      await photos(a, files, size, r);
      restoreTimes.push(await timeRestore(a, join(dir, `r${r}`, 'restore-out'), workers));
      const staged = join(dir, `r${r}`, 'staged');
      await photos(staged, files, size, r); // the same content, restored again by the watcher
      watchTimes.push(await timeWatch(staged, join(dir, `r${r}`, 'watch'), workers, settleMs));
      console.log(
        `  round ${r + 1}: restore ${restoreTimes[r]!.toFixed(2)} s, watch ${watchTimes[r]!.toFixed(2)} s`,
      );
    }
  } finally {
    await closeMetadata();
    await rm(dir, { recursive: true, force: true });
  }
  const best = (xs: number[]) => Math.min(...xs);
  const rate = (s: number) => files / s;
  console.log(
    `best: restore ${rate(best(restoreTimes)).toFixed(1)} files/s, watch ${rate(best(watchTimes)).toFixed(1)} files/s; ` +
      `throughput ratio watch/restore = ${(best(restoreTimes) / best(watchTimes)).toFixed(2)}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
