/**
 * `node scripts/noise-stats.ts [options]`: how close durn's synthetic noise is to real camera noise.
 * Real noisy photos (default: the DND crops in ../shared/data/real-noisy-dnd, no clean references)
 * and BSDS500 test photos degraded by each synthetic noise are measured the same way
 * (src/training/noise-stats.ts): residual σ of flat blocks, its neighbour and red–green
 * correlation, and σ versus intensity. The clean BSDS photos give the estimator's texture floor.
 * Prints Markdown tables; reads the shared data only, writes nothing unless --json.
 *
 * Exit status: 0 done, 2 bad usage or missing folders.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/core/fs/atomic.ts';
import type { ImageTensor } from '../src/models/engines/types.ts';
import { cameraNoise } from '../src/plugins/denoise/camera-noise.ts';
import { cameraPipelineNoise } from '../src/plugins/denoise/camera-pipeline-noise.ts';
import { gaussianNoise } from '../src/plugins/denoise/gaussian-noise.ts';
import { decodeImageSet, listImages } from '../src/training/data/images.ts';
import { wholeImage } from '../src/training/data/patches.ts';
import type { Degradation } from '../src/training/degradations/types.ts';
import { markdownTable } from '../src/training/eval-report.ts';
import { VALIDATION_SEED } from '../src/training/evaluate.ts';
import { type NoiseStats, noiseStats, quantile } from '../src/training/noise-stats.ts';
import { createRng } from '../src/training/rng.ts';
import { usageError as fail, parseFlags } from './script-cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `Usage: node scripts/noise-stats.ts [options]

Compares noise statistics of real noisy photos with durn's synthetic noise on clean photos.
  --real <folder>     real noisy photos (default: ../shared/data/real-noisy-dnd)
  --clean <folder>    clean photos to degrade (default: ../shared/data/bsds500/test)
  --limit <n>         clean photos used (default 33, as many as the DND crops)
  --json <file>       also write every number as JSON
  -h, --help          this text`;

/** The synthetic sets: a degradation, with parameters drawn per photo from its ranges. */
const SYNTHETIC: readonly {
  label: string;
  degradation: Degradation<unknown>;
  options?: Record<string, unknown>;
}[] = [
  {
    label: 'gaussian σ=10 (white)',
    degradation: gaussianNoise as Degradation<unknown>,
    options: { sigma: 10, clip: true },
  },
  { label: 'camera-noise (old: sRGB Poisson–Gaussian)', degradation: cameraNoise as Degradation<unknown> },
  { label: 'camera-pipeline-noise (new)', degradation: cameraPipelineNoise as Degradation<unknown> },
  {
    label: 'camera-pipeline-noise, no JPEG',
    degradation: cameraPipelineNoise as Degradation<unknown>,
    options: { jpeg: null },
  },
];

const BINS = [0, 0.1, 0.25, 0.45, 0.7, 1.0001];

function parse() {
  const str = parseFlags('noise-stats', USAGE, {
    real: { type: 'string' },
    clean: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'string' },
  });
  const limit = Number(str('limit') ?? 33);
  if (!Number.isInteger(limit) || limit < 1) {
    fail('noise-stats', USAGE, `Expected a positive integer for --limit but received "${str('limit')}"`);
  }
  return {
    real: resolve(str('real') ?? resolve(ROOT, '../shared/data/real-noisy-dnd')),
    clean: resolve(str('clean') ?? resolve(ROOT, '../shared/data/bsds500/test')),
    limit,
    json: str('json') === undefined ? undefined : resolve(str('json')!),
  };
}

async function load(folder: string, limit: number): Promise<{ name: string; image: ImageTensor }[]> {
  const names = (await listImages(folder)).slice(0, limit);
  const set = await decodeImageSet(folder, names, 3);
  return set.images.map((info, i) => ({ name: info.name, image: wholeImage(set, i) }));
}

interface SetSummary {
  readonly label: string;
  readonly images: number;
  readonly sigma: readonly [number, number, number];
  readonly neighbour: readonly [number, number, number];
  readonly channel: readonly [number, number, number];
  /** Median flat-block σ per intensity bin (BINS), pooled over the set's photos. */
  readonly sigmaByIntensity: readonly number[];
  /** Flat blocks per bin. */
  readonly blocksByIntensity: readonly number[];
}

function summarise(label: string, stats: readonly NoiseStats[]): SetSummary {
  const q = (xs: number[]) => [quantile(xs, 0.1), quantile(xs, 0.5), quantile(xs, 0.9)] as const;
  const blocks = stats.flatMap((s) => s.blocks);
  const inBin = (b: number) =>
    blocks.filter((k) => k.intensity >= BINS[b]! && k.intensity < BINS[b + 1]!).map((k) => k.sigma);
  return {
    label,
    images: stats.length,
    sigma: q(stats.map((s) => s.sigma)),
    neighbour: q(stats.map((s) => s.neighbourCorrelation)),
    channel: q(stats.map((s) => s.channelCorrelation)),
    sigmaByIntensity: BINS.slice(0, -1).map((_, b) => quantile(inBin(b), 0.5)),
    blocksByIntensity: BINS.slice(0, -1).map((_, b) => inBin(b).length),
  };
}

const f = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '—');
const range = (t: readonly [number, number, number], d = 2) => `${f(t[1], d)} (${f(t[0], d)}–${f(t[2], d)})`;

async function main(): Promise<number> {
  const o = parse();
  for (const folder of [o.real, o.clean]) {
    if (!existsSync(folder)) {
      process.stderr.write(`noise-stats: the folder ${folder} does not exist (pass --real / --clean).\n`);
      return 2;
    }
  }
  const real = await load(o.real, Number.POSITIVE_INFINITY);
  const clean = await load(o.clean, o.limit);
  const sets: SetSummary[] = [
    summarise(
      `real (${real.length} photos of ${o.real.split('/').at(-1)})`,
      real.map((r) => noiseStats(r.image)),
    ),
    summarise(
      'clean BSDS (estimator floor)',
      clean.map((c) => noiseStats(c.image)),
    ),
  ];
  for (const s of SYNTHETIC) {
    const d = s.degradation;
    const stats = clean.map((c) => {
      const rng = createRng(VALIDATION_SEED).fork('noise-stats', d.name, c.name);
      const params = d.schema.parse({ ...(d.sample(rng) as object), ...s.options });
      return noiseStats(d.apply(c.image, params, rng));
    });
    sets.push(summarise(s.label, stats));
    process.stderr.write(`${s.label}: done\n`);
  }
  const lines = [
    'Residual (photo − Gaussian blur σ 2) of the flattest quarter of 16×16 blocks; median (10th–90th percentile) over photos.',
    '',
    markdownTable(
      ['set', 'photos', 'σ (0–255)', 'neighbour correlation', 'red–green correlation'],
      sets.map((s) => [s.label, String(s.images), range(s.sigma), range(s.neighbour), range(s.channel)]),
    ),
    '',
    'Median flat-block σ (0–255) by block luma (number of blocks):',
    '',
    markdownTable(
      [
        'set',
        ...BINS.slice(0, -1).map((lo, b) => `${lo.toFixed(2)}–${Math.min(1, BINS[b + 1]!).toFixed(2)}`),
      ],
      sets.map((s) => [s.label, ...s.sigmaByIntensity.map((v, b) => `${f(v)} (${s.blocksByIntensity[b]})`)]),
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (o.json) {
    await writeFileAtomic(o.json, Buffer.from(`${JSON.stringify({ bins: BINS, sets }, null, 2)}\n`), {
      overwrite: true,
    });
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`noise-stats: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
