/**
 * `npm run bench -- restore [--mp 1,24] [--threads 2] [--task denoise]`: end-to-end `durn restore`
 * (decode, tile choice, tiles, stitch, encode, metadata; shipped weights) of an RGB photo of each
 * size, against the bare network: ONNX Runtime's best s/MP over input sides 256/512/1024 with the
 * same threads, and PyTorch running the whole image (bench/torch_reference.py, a square of the
 * same pixel count). Each in its own child process; times and peak RSS per row.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { activationFloatsPerPixel } from '../src/models/graph/memory.ts';
import type { NetworkId } from '../src/models/graph/types.ts';
import { getNetwork } from '../src/models/networks/index.ts';
import { toRaw8 } from '../src/pipeline/samples/sample-set.ts';
import { generateScene } from '../src/pipeline/samples/scenes.ts';
import { getPlugin } from '../src/plugins/registry.ts';
import { runChild, torchAvailable } from './engines.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** An RGB PNG of about `mp` megapixels (3:2), tiled from procedural scenes. */
async function photo(path: string, mp: number): Promise<{ width: number; height: number }> {
  const width = Math.round(Math.sqrt(mp * 1e6 * 1.5));
  const height = Math.round((mp * 1e6) / width);
  const cell = 512;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 1;
  for (let y0 = 0; y0 < height; y0 += cell) {
    for (let x0 = 0; x0 < width; x0 += cell, seed++) {
      const w = Math.min(cell, width - x0);
      const h = Math.min(cell, height - y0);
      const part = toRaw8(generateScene({ width: Math.max(16, w), height: Math.max(16, h), seed }));
      const pw = Math.max(16, w);
      for (let y = 0; y < h; y++)
        part.copy(pixels, ((y0 + y) * width + x0) * 3, y * pw * 3, (y * pw + w) * 3);
    }
  }
  await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toFile(path);
  return { width, height };
}

async function restoreChild(args: string[]): Promise<void> {
  const [input, outDir, task, threads] = args.slice(args.indexOf('--restore-child') + 1);
  const { runRestore } = await import('../src/pipeline/run/run.ts');
  const lines: string[] = [];
  const t0 = performance.now();
  const summary = await runRestore(
    { inputs: [input!], task: task!, outDir: outDir!, workers: Number(threads) },
    (e) => {
      if (e.type === 'step-start') lines.push(`${e.tiles} tiles of ${e.tile} (${e.tileReason})`);
    },
  );
  if (summary.done !== 1) throw new Error(`restore failed: ${JSON.stringify(summary.failures)}`);
  const { closeMetadata } = await import('../src/pipeline/metadata/exiftool.ts');
  await closeMetadata();
  const out = {
    seconds: (performance.now() - t0) / 1000,
    rssMB: process.resourceUsage().maxRSS / 1024,
    note: `${summary.engine ?? ''}; ${lines.join('; ')}`,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

export default async function bench(args: string[]): Promise<void> {
  if (args.includes('--restore-child')) return restoreChild(args);
  const sizes = (flag(args, '--mp') ?? '1,24').split(',').map(Number);
  const threads = Number(flag(args, '--threads') ?? 2);
  const task = flag(args, '--task') ?? 'denoise';
  const net = getPlugin(task).networkFor({ channels: 3 }) as NetworkId;
  const dir = mkdtempSync(join(tmpdir(), 'durn-bench-restore-'));
  writeFileSync(join(dir, `${net}.json`), JSON.stringify(getNetwork(net).graph));
  const row = (
    name: string,
    mp: number,
    r: { seconds: number | null; rssMB: number | null; note?: string },
  ) =>
    console.log(
      `${name.padEnd(34)} ${r.seconds === null ? 'n/a'.padStart(8) : `${r.seconds.toFixed(1)} s`.padStart(8)}` +
        ` ${r.seconds === null ? '' : `${(r.seconds / mp).toFixed(2)} s/MP`.padStart(12)}` +
        ` ${r.rssMB === null ? '' : `${r.rssMB.toFixed(0)} MB`.padStart(9)}  ${r.note ?? ''}`,
    );
  try {
    console.log(`${task} (${net}), ${threads} threads; the machine may be shared: compare ratios`);
    let best = Number.POSITIVE_INFINITY;
    for (const size of [256, 512, 1024]) {
      const r = runChild({ net, engine: 'onnx', threads, size, runs: 2 }, dir);
      const mp = (size * size) / 1e6;
      row(`ORT bare network ${size}²`, mp, r);
      if (r.seconds !== null) best = Math.min(best, r.seconds / mp);
    }
    for (const mp of sizes) {
      const input = join(dir, `photo-${mp}.png`);
      const { width, height } = await photo(input, mp);
      const real = (width * height) / 1e6;
      console.log(`\n${width}×${height} (${real.toFixed(1)} MP)`);
      const stdout = execFileSync(
        process.execPath,
        [
          join(ROOT, 'bench/run.ts'),
          'restore',
          '--restore-child',
          input,
          join(dir, `out-${mp}`),
          task,
          String(threads),
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
        seconds: number;
        rssMB: number;
        note: string;
      };
      row('durn restore (end to end)', real, r);
      const side = Math.round(Math.sqrt(width * height) / 4) * 4;
      // PyTorch's live activations for the whole image, against what this machine has free.
      const needGB = (4 * activationFloatsPerPixel(getNetwork(net).graph) * side * side) / 2 ** 30;
      const freeGB = freemem() / 2 ** 30;
      if (torchAvailable() && needGB > 0.8 * freeGB) {
        console.log(
          `  PyTorch whole image ${side}²: skipped, needs ~${needGB.toFixed(1)} GB, ${freeGB.toFixed(1)} GB free`,
        );
      } else if (torchAvailable()) {
        const t = runChild({ net, engine: 'torch', threads, size: side, runs: 1 }, dir);
        row(`PyTorch whole image ${side}²`, (side * side) / 1e6, t);
        if (t.seconds !== null)
          console.log(
            `  durn / PyTorch: ${(r.seconds / real / (t.seconds / ((side * side) / 1e6))).toFixed(2)}×`,
          );
      }
      console.log(`  durn / ORT best s/MP (${best.toFixed(2)}): ${(r.seconds / real / best).toFixed(2)}×`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
