/**
 * The dark channel prior (He, Sun & Tang, "Single image haze removal using dark channel prior",
 * CVPR 2009 / TPAMI 2011) with guided-filter refinement (He, Sun & Tang, "Guided image filtering",
 * TPAMI 2013): the classical single-image dehazer `durn eval` scores beside DuRN-US.
 *
 * In haze-free outdoor photos most 15×15 patches hold a pixel that is dark in some channel, so the
 * patch minimum of I/A measures the airlight's share, 1 − t. The parameters are the papers' (patch
 * 15, ω 0.95 keeps a trace of haze for depth, t ≥ 0.1, guided filter r 60 and ε 1e-4, for images
 * of about 600×400 like BSDS500's 481×321).
 */
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Baseline } from '../../training/baselines.ts';
import { checkImage, clamp01, makeImage, toGray } from '../../training/image-math.ts';

export interface DarkChannelOptions {
  /** Side of the square window of the dark channel. */
  readonly patch: number;
  /** Share of the haze removed (1 − ω of it is kept so far things still look far). */
  readonly omega: number;
  /** Lower bound on the transmission: keeps noise in dense haze from being amplified without end. */
  readonly minTransmission: number;
  /** Guided filter radius (window 2r + 1) and regularisation. */
  readonly radius: number;
  readonly epsilon: number;
}

export const DARK_CHANNEL_DEFAULTS: DarkChannelOptions = {
  patch: 15,
  omega: 0.95,
  minTransmission: 0.1,
  radius: 60,
  epsilon: 1e-4,
};

/** Minimum over a (2r + 1)² window clamped to the image, separably: rows, then columns. */
export function minFilter(src: Float32Array, height: number, width: number, r: number): Float32Array {
  const rows = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = Number.POSITIVE_INFINITY;
      const hi = Math.min(width - 1, x + r);
      for (let k = Math.max(0, x - r); k <= hi; k++) m = Math.min(m, src[y * width + k]!);
      rows[y * width + x] = m;
    }
  }
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    const lo = Math.max(0, y - r);
    const hi = Math.min(height - 1, y + r);
    for (let x = 0; x < width; x++) {
      let m = Number.POSITIVE_INFINITY;
      for (let k = lo; k <= hi; k++) m = Math.min(m, rows[k * width + x]!);
      out[y * width + x] = m;
    }
  }
  return out;
}

/** Mean over a (2r + 1)² window clamped to the image (summed-area table), as He's boxfilter. */
export function boxMean(src: Float32Array, height: number, width: number, r: number): Float32Array {
  const w1 = width + 1;
  const sat = new Float64Array((height + 1) * w1);
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += src[y * width + x]!;
      sat[(y + 1) * w1 + x + 1] = sat[y * w1 + x + 1]! + row;
    }
  }
  const out = new Float32Array(src.length);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(height, y + r + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(width, x + r + 1);
      const sum = sat[y1 * w1 + x1]! - sat[y0 * w1 + x1]! - sat[y1 * w1 + x0]! + sat[y0 * w1 + x0]!;
      out[y * width + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

/** Grey-guided filter: an edge-preserving smoothing of `p` that follows the edges of `guide`. */
export function guidedFilter(
  guide: Float32Array,
  p: Float32Array,
  height: number,
  width: number,
  r: number,
  epsilon: number,
): Float32Array {
  const n = guide.length;
  const mean = (v: Float32Array) => boxMean(v, height, width, r);
  const product = (a: Float32Array, b: Float32Array) => a.map((v, i) => v * b[i]!);
  const meanI = mean(guide);
  const meanP = mean(p);
  const corrIp = mean(product(guide, p));
  const corrII = mean(product(guide, guide));
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const varI = corrII[i]! - meanI[i]! * meanI[i]!;
    a[i] = (corrIp[i]! - meanI[i]! * meanP[i]!) / (varI + epsilon);
    b[i] = meanP[i]! - a[i]! * meanI[i]!;
  }
  const meanA = mean(a);
  const meanB = mean(b);
  return meanA.map((v, i) => v * guide[i]! + meanB[i]!);
}

/** Per-pixel minimum over channels of I / scale, then over the patch window. */
export function darkChannel(image: ImageTensor, scale: readonly number[], patch: number): Float32Array {
  const { channels, height, width } = image;
  const n = height * width;
  const minC = new Float32Array(n).fill(Number.POSITIVE_INFINITY);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) minC[i] = Math.min(minC[i]!, image.data[c * n + i]! / scale[c]!);
  }
  return minFilter(minC, height, width, Math.floor(patch / 2));
}

/**
 * Airlight: among the 0.1 % of pixels brightest in the dark channel (the most haze-opaque), the
 * one brightest in the photo itself, so a white object does not pass for the sky.
 */
export function estimateAirlight(image: ImageTensor, dark: Float32Array): number[] {
  const { channels, height, width } = image;
  const n = height * width;
  const count = Math.max(1, Math.floor(n / 1000));
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => dark[j]! - dark[i]!);
  let best = order[0]!;
  let bestSum = Number.NEGATIVE_INFINITY;
  for (const i of order.slice(0, count)) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += image.data[c * n + i]!;
    if (sum > bestSum) {
      bestSum = sum;
      best = i;
    }
  }
  return Array.from({ length: channels }, (_, c) => Math.max(1e-3, image.data[c * n + best]!));
}

/** Transmission t = 1 − ω·dark(I / A), refined by the guided filter on the photo's grey. */
export function estimateTransmission(
  image: ImageTensor,
  airlight: readonly number[],
  options: DarkChannelOptions = DARK_CHANNEL_DEFAULTS,
): Float32Array {
  const raw = darkChannel(image, airlight, options.patch).map((v) => 1 - options.omega * v);
  // He's code guides with rgb2gray(I); toGray is MATLAB's rgb2gray.
  const guide = toGray(image).data;
  return guidedFilter(guide, raw, image.height, image.width, options.radius, options.epsilon);
}

/** Dehazes a [0, 1] image; the result is clipped to [0, 1]. */
export function dehazeDarkChannel(
  image: ImageTensor,
  options: DarkChannelOptions = DARK_CHANNEL_DEFAULTS,
): ImageTensor {
  checkImage(image, 'dark channel prior input');
  const { channels, height, width } = image;
  const n = height * width;
  const airlight = estimateAirlight(image, darkChannel(image, new Array(channels).fill(1), options.patch));
  const t = estimateTransmission(image, airlight, options);
  const out = new Float32Array(image.data.length);
  for (let c = 0; c < channels; c++) {
    const a = airlight[c]!;
    for (let i = 0; i < n; i++) {
      out[c * n + i] = clamp01((image.data[c * n + i]! - a) / Math.max(t[i]!, options.minTransmission) + a);
    }
  }
  return makeImage(channels, height, width, out);
}

export const darkChannelBaseline: Baseline = { name: 'dark channel prior', run: (x) => dehazeDarkChannel(x) };
