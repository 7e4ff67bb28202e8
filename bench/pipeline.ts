/**
 * `npm run bench -- pipeline [--quick] [--only denoise-grey,deblur]`: the restore pipeline per plugin
 * with random-init weights on a procedural scene: megapixels per second through the tile pool at 1
 * and 2 workers, the tiling overhead (tiled at the plugin's default tile size vs the whole image
 * as one tile), and for the global-statistics networks the max/mean abs difference tiled vs whole.
 * The image is two default tiles wide (so the cut has exactly the default overlap of context on
 * each side); --quick makes it 128 px tall instead of one tile, so statistics are per 128-row strip.
 *
 * `npm run bench -- pipeline --large [--mp 50] [--tile-memory MB] [--tile px]`: one grey photo of that many
 * megapixels restored by `runRestore` (decode, tiles, encode, metadata) in a child process,
 * reporting time and that process's peak RSS: memory must stay a few bytes per pixel, whatever the
 * tile count; --tile-memory and --tile as `durn restore`'s (default: from free RAM).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { ImageTensor } from '../src/models/engines/types.ts';
import type { NetworkId } from '../src/models/graph/types.ts';
import { getNetwork } from '../src/models/networks/index.ts';
import { initialWeights } from '../src/models/weights/init.ts';
import { saveWeights } from '../src/models/weights/safetensors.ts';
import { TilePool } from '../src/pipeline/pool/pool.ts';
import { restoreTensor } from '../src/pipeline/run/restore-tensor.ts';
import { runRestore } from '../src/pipeline/run/run.ts';
import { toRaw8 } from '../src/pipeline/samples/sample-set.ts';
import { generateGrayScene, generateScene } from '../src/pipeline/samples/scenes.ts';
import { planInputFor, planTiles } from '../src/pipeline/tiling/index.ts';
import { getPlugin } from '../src/plugins/registry.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

interface Case {
  readonly name: string;
  readonly task: string;
  readonly channels: 1 | 3;
}

const CASES: readonly Case[] = [
  { name: 'denoise-grey', task: 'denoise', channels: 1 },
  { name: 'denoise-rgb', task: 'denoise', channels: 3 },
  { name: 'deblur', task: 'deblur', channels: 3 },
  { name: 'dehaze', task: 'dehaze', channels: 3 },
  { name: 'raindrop', task: 'raindrop', channels: 3 },
  { name: 'derain', task: 'derain', channels: 3 },
];

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function writeRandomWeights(dir: string, task: string): Promise<void> {
  const plugin = getPlugin(task);
  await mkdir(dir, { recursive: true });
  for (const id of plugin.networks) {
    await saveWeights(
      join(dir, plugin.defaultWeights[id]!),
      { metadata: { formatVersion: 1, arch: id, task }, tensors: initialWeights(getNetwork(id), 1) },
      { overwrite: true },
    );
  }
}

/** The raw stitched network output (no clamp) and the seconds it took. */
async function timed(
  pool: TilePool,
  task: string,
  network: NetworkId,
  weights: string,
  image: ImageTensor,
  tiling: { tile: number; overlap: number },
): Promise<{ output: ImageTensor; seconds: number }> {
  const plugin = getPlugin(task);
  const raw = { ...plugin, postprocess: (o: ImageTensor) => o };
  const t0 = performance.now();
  const output = await restoreTensor(
    image,
    [{ plugin: raw, options: { strength: 1 }, weights: { [network]: weights } }],
    {
      pool,
      file: task,
      emit: () => {},
      tiling,
    },
  );
  return { output, seconds: (performance.now() - t0) / 1000 };
}

function diff(a: ImageTensor, b: ImageTensor): { max: number; mean: number } {
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i]! - b.data[i]!);
    if (!(d <= max)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    sum += d;
  }
  return { max, mean: sum / a.data.length };
}

async function withPool<T>(workers: number, fn: (pool: TilePool) => Promise<T>): Promise<T> {
  const pool = new TilePool({ workers, engine: 'onnx', device: 'cpu' });
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

async function perPlugin(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const only = flag(args, '--only')?.split(',');
  const dir = await mkdtemp(join(tmpdir(), 'durn-bench-pipeline-'));
  const rows: string[][] = [];
  try {
    for (const c of CASES) {
      if (only && !only.includes(c.name)) continue;
      const plugin = getPlugin(c.task);
      const id = plugin.networkFor({ channels: c.channels });
      const network = getNetwork(id);
      const { tile, overlap } = plugin.tiling[id]!;
      await writeRandomWeights(dir, c.task);
      const weights = join(dir, plugin.defaultWeights[id]!);
      // Two tiles wide: neighbours share exactly 2·overlap columns.
      const m = network.sizeMultiple;
      const width = Math.floor((2 * tile - 2 * overlap) / m) * m;
      const height = quick ? 128 : tile;
      const scene = generateScene({ width, height, seed: 7 });
      const image =
        c.channels === 1 ? { ...scene, data: scene.data.slice(0, width * height), channels: 1 } : scene;
      const plan = planTiles(planInputFor(network, image, { tile, overlap }));
      const mp = (width * height) / 1e6;
      const warm = { ...image, data: image.data.slice(0, c.channels * 64 * 64), height: 64, width: 64 };
      const wholeTiling = { tile: Math.max(width, height, 64), overlap: 0 };

      const run = (workers: number, tiling: { tile: number; overlap: number }) =>
        withPool(workers, async (pool) => {
          await timed(pool, c.task, id, weights, warm, { tile: 64, overlap: 0 }); // session start-up
          return {
            ...(await timed(pool, c.task, id, weights, image, tiling)),
            threads: pool.threadsPerWorker,
          };
        });
      const one = await run(1, { tile, overlap });
      const two = await run(2, { tile, overlap });
      const whole = await run(1, wholeTiling);
      const d = diff(two.output, whole.output);
      rows.push([
        c.name,
        id,
        `${width}×${height}`,
        `${tile}/${overlap}`,
        String(plan.tiles.length),
        (mp / one.seconds).toFixed(4),
        (mp / two.seconds).toFixed(4),
        (mp / whole.seconds).toFixed(4),
        `${((two.seconds / whole.seconds - 1) * 100).toFixed(0)}%`,
        network.globalStatistics ? d.max.toExponential(2) : `${d.max.toExponential(1)} (local)`,
        network.globalStatistics ? d.mean.toExponential(2) : '',
      ]);
      console.error(`done ${c.name}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  printTable(
    [
      'case',
      'network',
      'image',
      'tile/overlap',
      'tiles',
      'MP/s 1 worker (2 threads)',
      'MP/s 2 workers (1 thread)',
      'MP/s whole (1×2 threads)',
      'tiled vs whole time',
      'max |tiled−whole|',
      'mean |tiled−whole|',
    ],
    rows,
  );
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/** A grey photo of about `mp` megapixels (3:2), written as PNG from a grid of scenes. */
async function largePhoto(path: string, mp: number): Promise<{ width: number; height: number }> {
  const width = Math.round(Math.sqrt(mp * 1e6 * 1.5));
  const height = Math.round((mp * 1e6) / width);
  const cell = 2048;
  const pixels = Buffer.alloc(width * height);
  for (let y0 = 0, seed = 0; y0 < height; y0 += cell) {
    for (let x0 = 0; x0 < width; x0 += cell, seed++) {
      const w = Math.max(16, Math.min(cell, width - x0));
      const h = Math.max(16, Math.min(cell, height - y0));
      const part = toRaw8(generateGrayScene({ width: w, height: h, seed }));
      for (let y = 0; y < h && y0 + y < height; y++) {
        const n = Math.min(w, width - x0);
        part.copy(pixels, (y0 + y) * width + x0, y * w, y * w + n);
      }
    }
  }
  await sharp(pixels, { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 1 })
    .toFile(path);
  return { width, height };
}

async function large(args: string[]): Promise<void> {
  const mp = Number(flag(args, '--mp') ?? 50);
  const workers = Number(flag(args, '--workers') ?? 2);
  const tileMemory = flag(args, '--tile-memory') ?? '';
  const tile = flag(args, '--tile') ?? '';
  const dir = await mkdtemp(join(tmpdir(), 'durn-bench-large-'));
  try {
    await writeRandomWeights(join(dir, 'models'), 'denoise');
    const input = join(dir, 'large.png');
    const { width, height } = await largePhoto(input, mp);
    console.log(
      `input: ${width}×${height} grey (${((width * height) / 1e6).toFixed(1)} MP), denoise (durn-p)`,
    );
    // A child process, so the peak RSS is the restore's alone, not the scene generator's.
    const out = execFileSync(
      process.execPath,
      [
        join(HERE, 'run.ts'),
        'pipeline',
        '--restore-child',
        input,
        join(dir, 'out'),
        String(workers),
        tileMemory,
        tile,
      ],
      {
        env: { ...process.env, DURN_MODELS_DIR: join(dir, 'models') },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
      seconds: number;
      rssMB: number;
      engine: string;
      tiles: number;
      tile: string;
    };
    console.log(`tiles of ${r.tile}`);
    printTable(
      ['MP', 'tiles', 'workers', 'engine', 'seconds', 'MP/s', 'peak RSS MB', 'RSS bytes/pixel'],
      [
        [
          ((width * height) / 1e6).toFixed(1),
          String(r.tiles),
          String(workers),
          r.engine,
          r.seconds.toFixed(0),
          ((width * height) / 1e6 / r.seconds).toFixed(4),
          r.rssMB.toFixed(0),
          ((r.rssMB * 2 ** 20) / (width * height)).toFixed(1),
        ],
      ],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The child of --large: restore one file, print seconds and peak RSS as JSON. */
async function restoreChild(args: string[]): Promise<void> {
  const [input, outDir, workers, tileMemory, tileSide] = args.slice(args.indexOf('--restore-child') + 1);
  const t0 = performance.now();
  let tiles = 0;
  let tile = '';
  const summary = await runRestore(
    {
      inputs: [input!],
      task: 'denoise',
      outDir: outDir!,
      workers: Number(workers),
      ...(tileMemory ? { tileMemory: Number(tileMemory) } : {}),
      ...(tileSide ? { tile: Number(tileSide) } : {}),
    },
    (e) => {
      if (e.type !== 'step-start') return;
      tiles = e.tiles;
      tile = `${e.tile} (${e.tileReason})`;
    },
  );
  if (summary.done !== 1) throw new Error(`restore failed: ${JSON.stringify(summary.failures)}`);
  const { closeMetadata } = await import('../src/pipeline/metadata/exiftool.ts');
  await closeMetadata();
  console.log(
    JSON.stringify({
      seconds: (performance.now() - t0) / 1000,
      rssMB: process.resourceUsage().maxRSS / 1024, // maxRSS is in kilobytes
      engine: summary.engine ?? '',
      tiles,
      tile,
    }),
  );
}

export default async function main(args: string[]): Promise<void> {
  if (args.includes('--restore-child')) return restoreChild(args);
  if (args.includes('--large')) return large(args);
  return perPlugin(args);
}
