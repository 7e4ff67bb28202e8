/**
 * Batches as a pure function of (seed, step, sample index): sample i of batch k draws its crop,
 * augmentation and degradation from an RNG forked from the seed with keys (k, i). Any worker can
 * make any sample, the batch sequence never depends on worker count or timing, and a resumed run
 * sees exactly the batches the interrupted one would have.
 */
import type { ImageTensor } from '../../models/engines/types.ts';
import { degradationFor, parseParams } from '../degradations/index.ts';
import { createRng, type Rng } from '../rng.ts';
import type { ImageSet, TrainingImages } from './images.ts';
import { centreCrop, extractCrop, packNhwc, sampleCrop } from './patches.ts';

export interface BatchSpec {
  readonly seed: number;
  readonly batch: number;
  readonly patch: number;
  /** Extra context cropped around synthetic patches before degrading, removed afterwards. */
  readonly margin: number;
  readonly channels: 1 | 3;
  /** Degradation registry key (ignored with real pairs; see degradations/index.ts). */
  readonly degradation: string;
  /** Overrides of sampled parameters: see `DegradationOptions`. */
  readonly degradationOptions: Readonly<Record<string, unknown>>;
}

/**
 * Overrides of a degradation's sampled parameters, per key: a value fixes it, an array is picked
 * from per sample (e.g. { sigma: [30, 50, 70] }, the paper's noise levels), { min, max } is drawn
 * uniformly per sample, and 'photo' (for `referenceSide`) is the shorter side of the photo the
 * patch was cut from. The key `easy` = { share, options } applies `options` on top in that share
 * of samples: the mild and undamaged cases that teach a network to leave clean regions alone.
 */
export type DegradationOptions = Readonly<Record<string, unknown>>;

/** NHWC input and target of samples [start, end) of one batch. */
export interface Shard {
  readonly input: Float32Array;
  readonly target: Float32Array;
  readonly shape: readonly [number, number, number, number];
}

export interface Sample {
  readonly input: ImageTensor;
  readonly target: ImageTensor;
}

/** Sampled parameters with the user's overrides applied; consumes the same draws either way. */
export function degradationParams(
  spec: Pick<BatchSpec, 'degradation' | 'degradationOptions'>,
  rng: Rng,
  photoSide: number | null = null,
): unknown {
  const d = degradationFor(spec.degradation);
  const sampled = d.sample(rng) as Record<string, unknown>;
  const { easy, ...options } = spec.degradationOptions as { easy?: unknown } & Record<string, unknown>;
  const out: Record<string, unknown> = { ...sampled };
  const apply = (o: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(o)) out[key] = drawOption(value, rng, photoSide);
  };
  apply(options);
  if (isEasy(easy) && rng.bernoulli(easy.share)) apply(easy.options);
  return parseParams(d, out);
}

function isEasy(v: unknown): v is { share: number; options: Record<string, unknown> } {
  return typeof v === 'object' && v !== null && 'share' in v && 'options' in v;
}

function drawOption(value: unknown, rng: Rng, photoSide: number | null): unknown {
  if (Array.isArray(value)) return rng.pick(value);
  if (value === 'photo') return photoSide;
  if (typeof value === 'object' && value !== null && 'min' in value && 'max' in value) {
    const { min, max } = value as { min: number; max: number };
    return rng.uniform(min, max);
  }
  return value;
}

/** One degraded / clean pair cut from `images`, using `rng` for every random choice. */
export function samplePair(images: TrainingImages, spec: BatchSpec, rng: Rng, augment: boolean): Sample {
  if (images.degraded) {
    const crop = sampleCrop(rng, images.clean.images, spec.patch, augment);
    return { input: extractCrop(images.degraded, crop), target: extractCrop(images.clean, crop) };
  }
  const size = spec.patch + 2 * spec.margin;
  const crop = sampleCrop(rng, images.clean.images, size, augment);
  const clean = extractCrop(images.clean, crop);
  const info = images.clean.images[crop.image]!;
  return synthesize(clean, spec, rng, Math.min(info.width, info.height));
}

/**
 * Degrades a clean planar image with parameters drawn from `rng`, then removes the margin.
 * `photoSide`: shorter side of the photo a patch came from (default: the image is the photo).
 */
export function synthesize(clean: ImageTensor, spec: BatchSpec, rng: Rng, photoSide?: number): Sample {
  const d = degradationFor(spec.degradation);
  const side = photoSide ?? Math.min(clean.height, clean.width) - 2 * spec.margin;
  const params = degradationParams(spec, rng, side);
  const degraded = d.apply(clean, params, rng);
  const h = clean.height - 2 * spec.margin;
  const w = clean.width - 2 * spec.margin;
  return { input: centreCrop(degraded, h, w), target: centreCrop(clean, h, w) };
}

/** The RNG of sample `index` of batch `step`: depends on nothing else. */
export function sampleRng(seed: number, step: number, index: number): Rng {
  return createRng(seed).fork('train-batch', step, index);
}

export function makeShard(
  images: TrainingImages,
  spec: BatchSpec,
  step: number,
  start: number,
  end: number,
): Shard {
  const n = end - start;
  const p = spec.patch;
  const c = spec.channels;
  const input = new Float32Array(n * p * p * c);
  const target = new Float32Array(n * p * p * c);
  for (let i = start; i < end; i++) {
    const s = samplePair(images, spec, sampleRng(spec.seed, step, i), true);
    packNhwc(s.input, input, i - start);
    packNhwc(s.target, target, i - start);
  }
  return { input, target, shape: [n, p, p, c] };
}

/** Images too small for a crop of `size`, which sampling must skip. */
export function tooSmall(set: ImageSet, size: number): string[] {
  return set.images
    .filter((i) => i.width < size || i.height < size)
    .map((i) => `${i.name} (${i.width}×${i.height})`);
}
