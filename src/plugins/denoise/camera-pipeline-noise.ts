/**
 * Camera-pipeline noise: real sensor noise as a camera's processing shapes it, after CBDNet (Guo et
 * al., CVPR 2019) and "Unprocessing images for learned raw denoising" (Brooks et al., CVPR 2019).
 *
 * The clean sRGB photo is unprocessed to an approximate raw signal (inverse tone curve, inverse
 * sRGB transfer, sRGB → camera colour matrix, inverse white balance and brightness), mosaicked
 * to a Bayer pattern, given heteroscedastic sensor noise (Poisson shot noise with variance
 * shot·x plus Gaussian read noise with variance read, x the raw value in [0, 1]), demosaicked,
 * and processed back (white balance, camera → sRGB matrix, sRGB transfer, tone curve), then
 * optionally JPEG-compressed. Demosaicing is what makes the noise spatially correlated and
 * coloured; white balance and the curves make it signal-dependent in a non-linear way.
 *
 * Only the noise goes through the demosaicer: both demosaicers are linear, so this equals
 * demosaicing the noisy mosaic with the demosaicer's own error on the clean signal removed. The
 * clean photos went through a camera's demosaicer already; the network should learn to remove
 * noise, not to undo a second demosaicer's blur. So zero noise (and no JPEG) returns the photo
 * (exactly: that case skips the pipeline, whose round trip is exact to float rounding).
 */
import { z } from 'zod';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Degradation } from '../../training/degradations/types.ts';
import { checkImage, clamp01, linearToSrgb, makeImage, srgbToLinear } from '../../training/image-math.ts';
import type { Rng } from '../../training/rng.ts';
import { BAYER_PATTERNS, demosaic, mosaic } from './bayer.ts';
import { jpegRoundTrip } from './jpeg.ts';

/**
 * Brooks et al. (2019, Sec. 3.4 and their unprocess.py): log(shot) uniform over [1e-4, 0.012];
 * log(read) = 2.18·log(shot) + 1.20 + N(0, 0.26²), a line fitted to the noise parameters that
 * the Darmstadt Noise Dataset's cameras (Plötz & Roth 2017) report across ISO settings. Both
 * are variances in raw units (black 0, white 1).
 */
export const PIPELINE_SHOT_RANGE = [1e-4, 0.012] as const;
export const READ_LINE = { slope: 2.18, intercept: 1.2, sd: 0.26 } as const;
/** JPEG quality when compression is drawn: 60–100, the range CBDNet's JPEG variant samples. */
export const JPEG_QUALITY_RANGE = [60, 100] as const;

// Brooks et al.'s four XYZ → camera matrices (unprocess.py, from DND's cameras): a random convex
// combination of them, times sRGB → XYZ (D65), rows normalised so white stays white.
const XYZ2CAMS = [
  [1.0234, -0.2969, -0.2266, -0.5625, 1.6328, -0.0469, -0.0703, 0.2188, 0.6406],
  [0.4913, -0.0541, -0.0202, -0.613, 1.3513, 0.2906, -0.1564, 0.2151, 0.7183],
  [0.838, -0.263, -0.0639, -0.2887, 1.0725, 0.2496, -0.0627, 0.1427, 0.5438],
  [0.6596, -0.2079, -0.0562, -0.4782, 1.3016, 0.1933, -0.097, 0.1581, 0.5181],
];
const RGB2XYZ = [
  0.4124564, 0.3575761, 0.1804375, 0.2126729, 0.7151522, 0.072175, 0.0193339, 0.119192, 0.9503041,
];

function matmul3(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j]! += a[i * 3 + k]! * b[k * 3 + j]!;
  return out;
}

/** A 3×3 matrix, row-major. */
type Mat3 = [number, number, number, number, number, number, number, number, number];

function det3(m: readonly number[]): number {
  const [a, b, c, d, e, f, g, h, i] = m as Mat3;
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

function invert3(m: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m as Mat3;
  const k = 1 / det3(m);
  return [
    e * i - f * h,
    c * h - b * i,
    b * f - c * e,
    f * g - d * i,
    a * i - c * g,
    c * d - a * f,
    d * h - e * g,
    b * g - a * h,
    a * e - b * d,
  ].map((v) => v * k);
}

/** A random sRGB → camera matrix (Brooks et al.'s random_ccm), row-major. */
export function randomCcm(rng: Rng): number[] {
  const w = XYZ2CAMS.map(() => rng.uniform(1e-8, 1));
  const total = w.reduce((s, v) => s + v, 0);
  const xyz2cam = XYZ2CAMS[0]!.map((_, j) => XYZ2CAMS.reduce((s, m, k) => s + m[j]! * w[k]!, 0) / total);
  const m = matmul3(xyz2cam, RGB2XYZ);
  for (let r = 0; r < 3; r++) {
    const sum = m[r * 3]! + m[r * 3 + 1]! + m[r * 3 + 2]!;
    for (let c = 0; c < 3; c++) m[r * 3 + c]! /= sum;
  }
  return m;
}

const gain = z.number().min(0.25).max(4);

export const cameraPipelineNoiseSchema = z.object({
  /** Shot-noise variance per unit raw signal. Default 0.004 (a phone at moderate ISO). */
  shot: z.number().min(0).max(0.1).default(0.004),
  /** Read-noise variance in raw units². Default 2e-5 (Brooks et al.'s line at shot 0.004). */
  read: z.number().min(0).max(0.01).default(2e-5),
  /** The colour filter array's 2×2 tile. Default RGGB. */
  pattern: z.enum(BAYER_PATTERNS).default('RGGB'),
  /** Demosaicer: bilinear, or Malvar–He–Cutler's gradient-corrected filters. Default malvar. */
  demosaic: z.enum(['bilinear', 'malvar']).default('malvar'),
  /** White-balance gains [red, blue] relative to green. Default [2.15, 1.7] (mid Brooks ranges). */
  whiteBalance: z.tuple([gain, gain]).default([2.15, 1.7]),
  /** Digital brightening applied after the sensor (Brooks et al.'s rgb_gain). Default 1.25. */
  brightness: gain.default(1.25),
  /** sRGB → camera colour matrix, row-major (9 numbers), or null for none. Default null. */
  ccm: z
    .array(z.number().min(-10).max(10))
    .length(9)
    .refine((m) => Math.abs(det3(m)) > 1e-6, 'an invertible 3×3 matrix')
    .nullable()
    .default(null),
  /** Brooks et al.'s global tone curve (smoothstep) on top of the sRGB transfer. Default true. */
  toneCurve: z.boolean().default(true),
  /** JPEG quality 1–100 of a final compression, or null for none. Default null. */
  jpeg: z.number().int().min(1).max(100).nullable().default(null),
});
export type CameraPipelineNoiseParams = z.output<typeof cameraPipelineNoiseSchema>;

/** Random camera parameters from the ranges above; JPEG with probability `jpegProbability`. */
export function sampleCameraPipelineNoise(rng: Rng, jpegProbability = 0.5): CameraPipelineNoiseParams {
  const shot = rng.logUniform(PIPELINE_SHOT_RANGE[0], PIPELINE_SHOT_RANGE[1]);
  const logRead = READ_LINE.slope * Math.log(shot) + READ_LINE.intercept + rng.normal(0, READ_LINE.sd);
  const read = Math.min(0.01, Math.exp(logRead));
  return {
    shot,
    read,
    pattern: rng.pick(BAYER_PATTERNS),
    demosaic: rng.bernoulli(0.5) ? 'bilinear' : 'malvar',
    // Brooks et al.'s random_gains: red 1.9–2.4, blue 1.5–1.9, brightness 1/N(0.8, 0.1).
    whiteBalance: [rng.uniform(1.9, 2.4), rng.uniform(1.5, 1.9)],
    brightness: Math.min(4, Math.max(0.25, 1 / rng.normal(0.8, 0.1))),
    ccm: randomCcm(rng),
    toneCurve: rng.bernoulli(0.5),
    jpeg: rng.bernoulli(jpegProbability)
      ? rng.intBetween(JPEG_QUALITY_RANGE[0], JPEG_QUALITY_RANGE[1])
      : null,
  };
}

/** Brooks et al.'s tone curve 3x² − 2x³ and its inverse on [0, 1]. */
const smoothstep = (x: number) => x * x * (3 - 2 * x);
const inverseSmoothstep = (y: number) => 0.5 - Math.sin(Math.asin(1 - 2 * clamp01(y)) / 3);

/** Photo → raw: planar camera RGB in raw units (before mosaicking), float64. */
export function unprocess(image: ImageTensor, p: CameraPipelineNoiseParams): Float64Array {
  const { channels, height, width } = image;
  const n = height * width;
  const raw = new Float64Array(channels * n);
  for (let i = 0; i < raw.length; i++) {
    const s = image.data[i]!;
    raw[i] = srgbToLinear(p.toneCurve ? inverseSmoothstep(s) : s);
  }
  if (channels === 1) {
    for (let i = 0; i < n; i++) raw[i]! /= p.brightness;
    return raw;
  }
  const m = p.ccm ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const gains = [p.whiteBalance[0] * p.brightness, p.brightness, p.whiteBalance[1] * p.brightness];
  for (let i = 0; i < n; i++) {
    const r = raw[i]!;
    const g = raw[n + i]!;
    const b = raw[2 * n + i]!;
    for (let c = 0; c < 3; c++)
      raw[c * n + i] = (m[c * 3]! * r + m[c * 3 + 1]! * g + m[c * 3 + 2]! * b) / gains[c]!;
  }
  return raw;
}

/** Raw → photo: the inverse of `unprocess`, clipped to [0, 1] in linear light like a camera. */
export function processRaw(
  raw: Float64Array,
  channels: number,
  height: number,
  width: number,
  p: CameraPipelineNoiseParams,
): ImageTensor {
  const n = height * width;
  const lin = new Float64Array(raw.length);
  if (channels === 1) for (let i = 0; i < n; i++) lin[i] = raw[i]! * p.brightness;
  else {
    const inv = invert3(p.ccm ?? [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const gains = [p.whiteBalance[0] * p.brightness, p.brightness, p.whiteBalance[1] * p.brightness];
    for (let i = 0; i < n; i++) {
      const r = raw[i]! * gains[0]!;
      const g = raw[n + i]! * gains[1]!;
      const b = raw[2 * n + i]! * gains[2]!;
      for (let c = 0; c < 3; c++)
        lin[c * n + i] = inv[c * 3]! * r + inv[c * 3 + 1]! * g + inv[c * 3 + 2]! * b;
    }
  }
  const out = new Float32Array(raw.length);
  for (let i = 0; i < out.length; i++) {
    const s = linearToSrgb(clamp01(lin[i]!));
    out[i] = p.toneCurve ? smoothstep(s) : s;
  }
  return makeImage(channels, height, width, out);
}

/**
 * Noise of one raw plane: shot noise as a scaled Poisson count (exact, skewed in the shadows;
 * variance shot·x, mean 0 about x) plus Gaussian read noise. Negative x (colours outside the
 * camera's gamut) get read noise only.
 */
export function rawNoise(x: Float64Array, shot: number, read: number, rng: Rng): Float64Array {
  const out = new Float64Array(x.length);
  const readSd = Math.sqrt(read);
  for (let i = 0; i < x.length; i++) {
    const v = Math.max(x[i]!, 0);
    const s = shot > 0 && v > 0 ? shot * rng.poisson(v / shot) - v : 0;
    out[i] = s + (readSd > 0 ? readSd * rng.normal() : 0);
  }
  return out;
}

export function addCameraPipelineNoise(
  image: ImageTensor,
  params: CameraPipelineNoiseParams,
  rng: Rng,
): ImageTensor {
  checkImage(image, 'camera-pipeline-noise input');
  const { channels, height, width } = image;
  // No noise and no JPEG: the photo itself, bit for bit (the pipeline would return it to ~1e-7).
  if (params.shot === 0 && params.read === 0 && params.jpeg === null) {
    return makeImage(channels, height, width, image.data.slice());
  }
  const raw = unprocess(image, params);
  if (channels === 1) {
    // A monochrome sensor: no colour filters, so no demosaicing.
    const noise = rawNoise(raw, params.shot, params.read, rng);
    for (let i = 0; i < raw.length; i++) raw[i]! += noise[i]!;
  } else {
    const noise = rawNoise(mosaic(raw, height, width, params.pattern), params.shot, params.read, rng);
    const spread = demosaic(noise, height, width, params.pattern, params.demosaic);
    for (let i = 0; i < raw.length; i++) raw[i]! += spread[i]!;
  }
  const out = processRaw(raw, channels, height, width, params);
  return params.jpeg === null ? out : jpegRoundTrip(out, params.jpeg);
}

export const cameraPipelineNoise: Degradation<CameraPipelineNoiseParams> = {
  name: 'camera-pipeline-noise',
  summary:
    'raw sensor noise (Poisson shot + Gaussian read) on a Bayer mosaic, demosaicked and processed through white balance, colour matrix, tone curve and optional JPEG',
  channels: [1, 3],
  schema: cameraPipelineNoiseSchema,
  sample: (rng) => sampleCameraPipelineNoise(rng),
  apply: addCameraPipelineNoise,
};
