/**
 * Small numeric helpers shared by the degradations and the metrics. Images are planar CHW float32
 * (`ImageTensor`); everything here is pure and allocation-explicit.
 */
import { DurnBugError, DurnUserError, expected } from '../core/errors.ts';
import type { ImageTensor } from '../models/engines/types.ts';

export function makeImage(channels: number, height: number, width: number, data?: Float32Array): ImageTensor {
  const size = channels * height * width;
  if (data !== undefined && data.length !== size) {
    throw new DurnBugError(
      `image data has ${data.length} values, ${channels}×${height}×${width} needs ${size}`,
    );
  }
  return { channels, height, width, data: data ?? new Float32Array(size) };
}

/** Throws a user error unless `image` is a well-formed ImageTensor with one of `channels`. */
export function checkImage(image: ImageTensor, what: string, channels: readonly number[] = [1, 3]): void {
  const ok =
    image !== null &&
    typeof image === 'object' &&
    image.data instanceof Float32Array &&
    Number.isInteger(image.width) &&
    Number.isInteger(image.height) &&
    image.width > 0 &&
    image.height > 0 &&
    channels.includes(image.channels) &&
    image.data.length === image.channels * image.height * image.width;
  if (!ok) {
    const got =
      image && typeof image === 'object' && 'channels' in image
        ? `${image.channels}×${image.height}×${image.width}`
        : image;
    throw new DurnUserError(
      'INVALID_INPUT',
      expected(`a ${channels.join(' or ')}-channel CHW float32 image`, what, got),
    );
  }
}

export function sameShape(a: ImageTensor, b: ImageTensor): boolean {
  return a.channels === b.channels && a.height === b.height && a.width === b.width;
}

export function clamp01(x: number): number {
  return Math.min(Math.max(x, 0), 1);
}

/** Copy of `image` with values clipped to [0, 1]. */
export function clipImage(image: ImageTensor): ImageTensor {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp01(image.data[i]!);
  return makeImage(image.channels, image.height, image.width, out);
}

/** One channel of an image as a view (no copy). */
export function plane(image: ImageTensor, c: number): Float32Array {
  const n = image.height * image.width;
  return image.data.subarray(c * n, (c + 1) * n);
}

/**
 * Whole-sample symmetric index (…c b a | a b c…, MATLAB 'symmetric', scipy 'reflect'); valid for
 * any offset, however far outside.
 */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/** Normalised 1-D Gaussian taps for offsets −radius…radius (radius defaults to ⌈3σ⌉). */
export function gaussianKernel1d(sigma: number, radius = Math.max(1, Math.ceil(3 * sigma))): Float64Array {
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/** Separable filtering of one plane with symmetric borders; `out` may not alias `src`. */
export function convolveSeparable(
  src: Float32Array,
  height: number,
  width: number,
  kernel: Float64Array,
  out: Float32Array = new Float32Array(src.length),
): Float32Array {
  const r = (kernel.length - 1) / 2;
  const tmp = new Float32Array(src.length);
  const row = new Float32Array(width + 2 * r);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let x = -r; x < width + r; x++) row[x + r] = src[base + reflectIndex(x, width)]!;
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let k = 0; k < kernel.length; k++) acc += kernel[k]! * row[x + k]!;
      tmp[base + x] = acc;
    }
  }
  const col = new Float32Array(height + 2 * r);
  for (let x = 0; x < width; x++) {
    for (let y = -r; y < height + r; y++) col[y + r] = tmp[reflectIndex(y, height) * width + x]!;
    for (let y = 0; y < height; y++) {
      let acc = 0;
      for (let k = 0; k < kernel.length; k++) acc += kernel[k]! * col[y + k]!;
      out[y * width + x] = acc;
    }
  }
  return out;
}

/** Gaussian blur of every channel (symmetric borders). σ ≤ 0 returns a copy. */
export function gaussianBlur(image: ImageTensor, sigma: number): ImageTensor {
  if (!(sigma > 0)) return makeImage(image.channels, image.height, image.width, image.data.slice());
  const kernel = gaussianKernel1d(sigma);
  const out = new Float32Array(image.data.length);
  const n = image.height * image.width;
  for (let c = 0; c < image.channels; c++) {
    convolveSeparable(plane(image, c), image.height, image.width, kernel, out.subarray(c * n, (c + 1) * n));
  }
  return makeImage(image.channels, image.height, image.width, out);
}

/** IEC 61966-2-1 sRGB decoding; odd-extended so that noisy negative values survive a round trip. */
export function srgbToLinear(v: number): number {
  const a = Math.abs(v);
  const l = a <= 0.04045 ? a / 12.92 : ((a + 0.055) / 1.055) ** 2.4;
  return v < 0 ? -l : l;
}

export function linearToSrgb(v: number): number {
  const a = Math.abs(v);
  const s = a <= 0.0031308 ? a * 12.92 : 1.055 * a ** (1 / 2.4) - 0.055;
  return v < 0 ? -s : s;
}

/**
 * MATLAB rgb2gray weights: the first row of inv(ntsc→rgb), i.e. ITU-R BT.601 luma computed the
 * way MATLAB does (0.2989, 0.5870, 0.1140 rounded). No rounding to 8 bits.
 */
export const GRAY_WEIGHTS = [0.298936021293775, 0.587043074451121, 0.114020904255103] as const;

/**
 * Y of MATLAB rgb2ycbcr for double input in [0,1] (ITU-R BT.601, studio swing): Y = 16/255 +
 * (65.481 R + 128.553 G + 24.966 B)/255, so Y ∈ [16/255, 235/255].
 */
export const YCBCR_Y = { offset: 16 / 255, weights: [65.481 / 255, 128.553 / 255, 24.966 / 255] } as const;

function weightedSum(image: ImageTensor, w: readonly number[], offset: number, what: string): ImageTensor {
  checkImage(image, what);
  if (image.channels === 1) {
    // A gray image is its own luma; for Y, map it as R = G = B.
    const scale = w[0]! + w[1]! + w[2]!;
    const out = new Float32Array(image.data.length);
    for (let i = 0; i < out.length; i++) out[i] = offset + scale * image.data[i]!;
    return makeImage(1, image.height, image.width, out);
  }
  const n = image.height * image.width;
  const d = image.data;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = offset + w[0]! * d[i]! + w[1]! * d[n + i]! + w[2]! * d[2 * n + i]!;
  return makeImage(1, image.height, image.width, out);
}

/** Grayscale like MATLAB rgb2gray on doubles. A 1-channel image is returned as a copy. */
export function toGray(image: ImageTensor): ImageTensor {
  if (image.channels === 1) {
    checkImage(image, 'toGray');
    return makeImage(1, image.height, image.width, image.data.slice());
  }
  return weightedSum(image, GRAY_WEIGHTS, 0, 'toGray');
}

/** Luma Y of MATLAB rgb2ycbcr (studio range, [16, 235]/255). */
export function toY(image: ImageTensor): ImageTensor {
  return weightedSum(image, YCBCR_Y.weights, YCBCR_Y.offset, 'toY');
}

/** Rounds to the 8-bit grid (what saving as PNG/JPEG and reloading does), clipping to [0, 1]. */
export function quantize8(image: ImageTensor): ImageTensor {
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(clamp01(image.data[i]!) * 255) / 255;
  return makeImage(image.channels, image.height, image.width, out);
}
