/**
 * `npm run examples` (`node scripts/examples.ts [options]`): side-by-side examples made by durn
 * itself. For each evaluation of the quality protocol (src/plugins/eval-protocol.ts), one
 * fixed BSDS500 test photo is degraded by durn's own synthetic degradation, with the seed
 * `npm run eval` uses for that photo (grey denoising at σ 50), restored through the library API
 * (`createRestorer`, the same pipeline as `durn restore`), and written as docs/examples/<id>.jpg:
 * degraded | restored | clean, centre crops at 1:1, at most 1000 px wide, JPEG quality 85.
 * A plugin without weights is skipped with a message.
 *
 * `--real <photo>` instead writes <out>/denoise-real.jpg: a crop of a real noisy photo | the colour
 * denoiser's output. Real noisy photos have no clean reference, so there is no third panel.
 *
 * Exit status: 0 done, 1 an example failed, 2 bad usage or the photo is missing.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createRestorer, type TaskName } from '../src/api.ts';
import { bundledWeightsDir } from '../src/core/config.ts';
import { DurnUserError } from '../src/core/errors.ts';
import { writeFileAtomic } from '../src/core/fs/atomic.ts';
import type { ImageTensor } from '../src/models/engines/types.ts';
import { getNetwork } from '../src/models/networks/index.ts';
import { selectProtocol } from '../src/plugins/eval-protocol.ts';
import type { ResolvedWeights } from '../src/plugins/weights-path.ts';
import { synthesize } from '../src/training/data/batches.ts';
import { decodeImageSet } from '../src/training/data/images.ts';
import { wholeImage } from '../src/training/data/patches.ts';
import type { ProtocolEntry } from '../src/training/eval-report.ts';
import { VALIDATION_SEED } from '../src/training/evaluate.ts';
import { createRng } from '../src/training/rng.ts';
import { usageError as fail, parseFlags, weightsIn } from './script-cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_PHOTO = resolve(ROOT, '../shared/data/bsds500/test/10081.jpg');
const SIGMA = 50;
const MAX_WIDTH = 1000;
const GAP = 4;

const USAGE = `Usage: npm run examples -- [options]   (node scripts/examples.ts [options])

Writes <out>/<evaluation>.jpg: degraded | restored by durn | clean, for each plugin with weights.
  --image <file>         the photo (default: ../shared/data/bsds500/test/10081.jpg)
  --only <list>          comma-separated tasks, networks or evaluations (denoise, durn-u, denoise-rgb, …)
  --out <dir>            output folder (default: docs/examples)
  --weights-dir <dir>    weights files (plugins' default names) from this folder (default: the shipped weights/)
  --real <photo>         instead: <out>/denoise-real.jpg, a crop of this real noisy photo | denoised
  --crop <l,t,w,h>       the crop of --real in pixels after EXIF rotation (default: centre, at most 400×400)
  --name <file>          the file --real writes in <out> (default: denoise-real.jpg)
  -h, --help             this text`;

function usageError(message: string): never {
  return fail('durn examples', USAGE, message);
}

function parse() {
  const str = parseFlags('durn examples', USAGE, {
    image: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    'weights-dir': { type: 'string' },
    real: { type: 'string' },
    crop: { type: 'string' },
    name: { type: 'string' },
  });
  const crop = str('crop')?.split(',').map(Number);
  if (crop !== undefined && (crop.length !== 4 || !crop.every((v) => Number.isInteger(v) && v >= 0))) {
    usageError(`Expected four integers left,top,width,height for --crop but received "${str('crop')}"`);
  }
  if (crop !== undefined && str('real') === undefined) usageError('--crop applies to --real <photo>');
  const name = str('name');
  if (name !== undefined && str('real') === undefined) usageError('--name applies to --real <photo>');
  if (name !== undefined && !/^[\w.-]+\.jpg$/.test(name)) {
    usageError(`Expected a file name ending in .jpg for --name but received "${name}"`);
  }
  return {
    real: str('real') === undefined ? undefined : resolve(str('real')!),
    crop: crop as [number, number, number, number] | undefined,
    name: name ?? 'denoise-real.jpg',
    image: str('image') === undefined ? DEFAULT_PHOTO : resolve(str('image')!),
    only: (str('only') ?? '').split(','),
    out: resolve(str('out') ?? join(ROOT, 'docs/examples')),
    // The shipped weights by default, as `npm run eval` measures them.
    weightsDir: resolve(str('weights-dir') ?? bundledWeightsDir()),
  };
}

/** Interleaved 8-bit RGB (grey replicated) of a planar [0, 1] image. */
function rgb8(img: ImageTensor): Buffer {
  const n = img.height * img.width;
  const out = Buffer.alloc(n * 3);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      const v = img.data[(img.channels === 1 ? 0 : c) * n + p]!;
      out[p * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return out;
}

/** The degraded input as durn reads a photo: an 8-bit PNG, grey when the network is grey. */
async function encodePng(img: ImageTensor): Promise<Buffer> {
  const rgb = rgb8(img);
  const raw = { width: img.width, height: img.height, channels: 3 as const };
  const s = sharp(rgb, { raw });
  return (img.channels === 1 ? s.extractChannel(0).toColourspace('b-w') : s).png().toBuffer();
}

async function decodeRgb(buf: Buffer): Promise<Buffer> {
  return sharp(buf).removeAlpha().toColourspace('srgb').raw().toBuffer();
}

/** degraded | restored | clean (or noisy | denoised): centre crops at 1:1 side by side, JPEG quality 85. */
async function sideBySide(panels: readonly Buffer[], width: number, height: number): Promise<Buffer> {
  const k = panels.length;
  const pw = Math.min(width, Math.floor((MAX_WIDTH - (k - 1) * GAP) / k));
  const left = (width - pw) >> 1;
  const crops = await Promise.all(
    panels.map((p) =>
      sharp(p, { raw: { width, height, channels: 3 } })
        .extract({ left, top: 0, width: pw, height })
        .png()
        .toBuffer(),
    ),
  );
  return sharp({
    create: { width: k * pw + (k - 1) * GAP, height, channels: 3, background: { r: 255, g: 255, b: 255 } },
  })
    .composite(crops.map((input, i) => ({ input, left: i * (pw + GAP), top: 0 })))
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function example(entry: ProtocolEntry, photo: string, weights: string): Promise<Buffer> {
  const def = getNetwork(entry.network);
  const set = await decodeImageSet(dirname(photo), [basename(photo)], def.inChannels as 1 | 3);
  const clean = wholeImage(set, 0);
  const sigma = entry.sigma ? SIGMA : undefined;
  const name = basename(photo);
  // The seed `npm run eval` (evaluateModel) uses for this photo and σ.
  const rng =
    sigma === undefined
      ? createRng(VALIDATION_SEED).fork('eval', name)
      : createRng(VALIDATION_SEED).fork('eval', name, sigma);
  const spec = {
    seed: 0,
    batch: 1,
    patch: 0,
    margin: 0,
    channels: def.inChannels as 1 | 3,
    degradation: entry.degradation ?? entry.id,
    degradationOptions: sigma === undefined ? {} : { sigma },
  };
  const degraded = await encodePng(synthesize(clean, spec, rng).input);
  // createRestorer rather than the one-shot restore(), which passes call options such as
  // `metadata` to the restorer's strict option parser.
  const restorer = createRestorer({ task: entry.task as TaskName, weights: { [entry.task]: weights } });
  let restored: Buffer;
  try {
    restored = await restorer.restore(degraded, { format: 'png', metadata: false });
  } finally {
    await restorer.close();
  }
  return sideBySide(
    [await decodeRgb(degraded), await decodeRgb(restored), rgb8(clean)],
    clean.width,
    clean.height,
  );
}

/** A crop of a real noisy photo | the same crop restored by the colour denoiser. */
async function realExample(
  photo: string,
  crop: [number, number, number, number] | undefined,
  weights: string,
): Promise<Buffer> {
  const oriented = sharp(await sharp(photo).rotate().toBuffer());
  const { width = 0, height = 0 } = await oriented.metadata();
  const [left, top, w, h] = crop ?? [
    Math.max(0, (width - 400) >> 1),
    Math.max(0, (height - 400) >> 1),
    Math.min(400, width),
    Math.min(400, height),
  ];
  if (left + w > width || top + h > height) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected a crop inside the ${width}×${height} photo for --crop but received ${[left, top, w, h].join(',')}`,
    );
  }
  const noisy = await oriented
    .extract({ left, top, width: w, height: h })
    .toColourspace('srgb')
    .png()
    .toBuffer();
  const restorer = createRestorer({ task: 'denoise', weights: { denoise: weights } });
  let restored: Buffer;
  try {
    restored = await restorer.restore(noisy, { format: 'png', metadata: false });
  } finally {
    await restorer.close();
  }
  return sideBySide([await decodeRgb(noisy), await decodeRgb(restored)], w, h);
}

async function main(): Promise<number> {
  const o = parse();
  if (o.real !== undefined) {
    if (!existsSync(o.real)) {
      process.stderr.write(`durn examples: the photo ${o.real} does not exist.\n`);
      return 2;
    }
    const entry = selectProtocol(['denoise-camera'])[0]!;
    const weights = weightsIn(entry, o.weightsDir);
    const target = join(o.out, o.name);
    await mkdir(o.out, { recursive: true });
    await writeFileAtomic(target, await realExample(o.real, o.crop, weights.path), { overwrite: true });
    process.stderr.write(
      `${basename(o.name, '.jpg')}: wrote ${relative(process.cwd(), target)} from ${basename(o.real)}\n`,
    );
    return 0;
  }
  let entries: ProtocolEntry[];
  try {
    entries = selectProtocol(o.only);
  } catch (err) {
    usageError(err instanceof Error ? err.message : String(err));
  }
  if (!existsSync(o.image)) {
    process.stderr.write(
      `durn examples: the photo ${o.image} does not exist.\n` +
        'Pass --image <file> (the default is a BSDS500 test photo in ../shared/data/bsds500/test).\n',
    );
    return 2;
  }
  await mkdir(o.out, { recursive: true });
  let failures = 0;
  for (const entry of entries) {
    let weights: ResolvedWeights;
    try {
      weights = weightsIn(entry, o.weightsDir);
    } catch (err) {
      if (!(err instanceof DurnUserError && err.code === 'WEIGHTS_MISSING')) throw err;
      process.stderr.write(`${entry.id}: skipped, ${err.message}\n`);
      continue;
    }
    const target = join(o.out, `${entry.id}.jpg`);
    try {
      const started = performance.now();
      await writeFileAtomic(target, await example(entry, o.image, weights.path), { overwrite: true });
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      process.stderr.write(`${entry.id}: wrote ${relative(process.cwd(), target)} (${seconds} s)\n`);
    } catch (err) {
      failures++;
      const hint = err instanceof DurnUserError && err.hint ? ` (${err.hint})` : '';
      process.stderr.write(
        `${entry.id}: failed, ${err instanceof Error ? err.message : String(err)}${hint}\n`,
      );
    }
  }
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`durn examples: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
