/**
 * Image quality metrics as the DuRN paper reports them: PSNR and SSIM in the colour space each
 * task is evaluated in (its plugin says which: gray for Gaussian noise; RGB for real noise, blur and
 * haze; Y of YCbCr for rain streaks and raindrops).
 *
 * SSIM follows scikit-image `structural_similarity(gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=R)`: an 11×11 Gaussian window (σ 1.5, truncated at 3.5σ),
 * K1 = 0.01, K2 = 0.03, statistics only where the window lies fully inside the image (skimage
 * filters with reflection and then crops 5 pixels, which is the same thing, and also the same as
 * MATLAB `ssim_index`'s 'valid' filtering), mean over pixels, then mean over channels.
 * Checked against scikit-image 0.19 to 1e-6 (test/fixtures/metrics-ssim.json).
 */
import { z } from 'zod';
import { DurnUserError, expected } from '../core/errors.ts';
import type { ImageTensor } from '../models/engines/types.ts';
import { checkImage, clipImage, plane, quantize8, sameShape, toGray, toY } from './image-math.ts';

const psnrOptionsSchema = z.object({
  /** The largest possible value (1 for [0,1] images, 255 for 8-bit). */
  peak: z.number().positive().default(1),
  /** Pixels to ignore along each border (super-resolution and deblurring papers often crop). */
  crop: z.number().int().nonnegative().default(0),
});

const ssimOptionsSchema = z.object({
  window: z.number().int().min(3).max(63).default(11),
  sigma: z.number().positive().default(1.5),
  K1: z.number().positive().default(0.01),
  K2: z.number().positive().default(0.03),
  dataRange: z.number().positive().default(1),
  crop: z.number().int().nonnegative().default(0),
});

export type PsnrOptions = z.input<typeof psnrOptionsSchema>;
export type SsimOptions = z.input<typeof ssimOptionsSchema>;

function parse<S extends z.ZodType>(schema: S, options: unknown, what: string): z.output<S> {
  const result = schema.safeParse(options ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.join('.');
    const value = key ? (options as Record<string, unknown>)[key] : options;
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(issue.message, `${what}${key ? `.${key}` : ''}`, value),
    );
  }
  return result.data;
}

function checkPair(a: ImageTensor, b: ImageTensor, what: string): void {
  checkImage(a, `${what} first image`, [1, 2, 3, 4]);
  checkImage(b, `${what} second image`, [1, 2, 3, 4]);
  if (!sameShape(a, b)) {
    throw new DurnUserError(
      'INVALID_INPUT',
      expected(
        `images of the same shape`,
        what,
        `${a.channels}×${a.height}×${a.width} and ${b.channels}×${b.height}×${b.width}`,
      ),
    );
  }
}

/** Peak signal-to-noise ratio in dB over all channels; Infinity for identical images. */
export function psnr(a: ImageTensor, b: ImageTensor, options: PsnrOptions = {}): number {
  const { peak, crop } = parse(psnrOptionsSchema, options, 'psnr options');
  checkPair(a, b, 'psnr');
  const { height: h, width: w } = a;
  if (2 * crop >= h || 2 * crop >= w) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(`a crop smaller than half of ${w}×${h}`, 'psnr crop', crop),
    );
  }
  let sum = 0;
  let count = 0;
  for (let c = 0; c < a.channels; c++) {
    const pa = plane(a, c);
    const pb = plane(b, c);
    for (let y = crop; y < h - crop; y++) {
      for (let x = crop; x < w - crop; x++) {
        const d = pa[y * w + x]! - pb[y * w + x]!;
        sum += d * d;
      }
      count += w - 2 * crop;
    }
  }
  const mse = sum / count;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((peak * peak) / mse);
}

/** Gaussian taps like scipy's gaussian_filter(truncate=3.5): window 11 for σ 1.5. */
function windowTaps(size: number, sigma: number): Float64Array {
  const r = (size - 1) / 2;
  const k = new Float64Array(size);
  let s = 0;
  for (let i = -r; i <= r; i++) {
    k[i + r] = Math.exp((-0.5 * i * i) / (sigma * sigma));
    s += k[i + r]!;
  }
  for (let i = 0; i < size; i++) k[i]! /= s;
  return k;
}

/** 'valid' separable filtering in float64: output is (h−win+1)×(w−win+1). */
function filterValid(src: Float64Array, h: number, w: number, k: Float64Array): Float64Array {
  const n = k.length;
  const ow = w - n + 1;
  const oh = h - n + 1;
  const tmp = new Float64Array(h * ow);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      const base = y * w + x;
      for (let i = 0; i < n; i++) acc += k[i]! * src[base + i]!;
      tmp[y * ow + x] = acc;
    }
  }
  const out = new Float64Array(oh * ow);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let i = 0; i < n; i++) acc += k[i]! * tmp[(y + i) * ow + x]!;
      out[y * ow + x] = acc;
    }
  }
  return out;
}

/** SSIM map mean for one pair of planes (with the border crop applied before filtering). */
function ssimPlane(
  pa: Float32Array,
  pb: Float32Array,
  h0: number,
  w0: number,
  crop: number,
  taps: Float64Array,
  c1: number,
  c2: number,
): number {
  const h = h0 - 2 * crop;
  const w = w0 - 2 * crop;
  const n = h * w;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let r = 0; r < h; r++) {
    for (let q = 0; q < w; q++) {
      x[r * w + q] = pa[(r + crop) * w0 + q + crop]!;
      y[r * w + q] = pb[(r + crop) * w0 + q + crop]!;
    }
  }
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = x[i]! * x[i]!;
    yy[i] = y[i]! * y[i]!;
    xy[i] = x[i]! * y[i]!;
  }
  const ux = filterValid(x, h, w, taps);
  const uy = filterValid(y, h, w, taps);
  const uxx = filterValid(xx, h, w, taps);
  const uyy = filterValid(yy, h, w, taps);
  const uxy = filterValid(xy, h, w, taps);
  let sum = 0;
  for (let i = 0; i < ux.length; i++) {
    const mx = ux[i]!;
    const my = uy[i]!;
    const vx = uxx[i]! - mx * mx;
    const vy = uyy[i]! - my * my;
    const vxy = uxy[i]! - mx * my;
    sum += ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
  }
  return sum / ux.length;
}

/** Mean structural similarity (Wang et al. 2004), averaged over channels. */
export function ssim(a: ImageTensor, b: ImageTensor, options: SsimOptions = {}): number {
  const o = parse(ssimOptionsSchema, options, 'ssim options');
  checkPair(a, b, 'ssim');
  if (o.window % 2 === 0)
    throw new DurnUserError('INVALID_OPTION', expected('an odd window size', 'ssim window', o.window));
  const h = a.height - 2 * o.crop;
  const w = a.width - 2 * o.crop;
  if (h < o.window || w < o.window) {
    throw new DurnUserError(
      'INVALID_INPUT',
      expected(`images at least ${o.window}×${o.window} after cropping`, 'ssim', `${a.width}×${a.height}`),
    );
  }
  const taps = windowTaps(o.window, o.sigma);
  const c1 = (o.K1 * o.dataRange) ** 2;
  const c2 = (o.K2 * o.dataRange) ** 2;
  let total = 0;
  for (let c = 0; c < a.channels; c++) {
    total += ssimPlane(plane(a, c), plane(b, c), a.height, a.width, o.crop, taps, c1, c2);
  }
  return total / a.channels;
}

/** Where a task is measured: the task plugin's recipe names it (gray, RGB, or Y of YCbCr). */
export type MetricColorSpace = 'gray' | 'rgb' | 'y';

const COLOR_SPACES: readonly MetricColorSpace[] = ['gray', 'rgb', 'y'];

export interface MeasureOptions {
  /**
   * Round both images to 8 bits first, as when results are saved and scored from files (the
   * benchmarks' MATLAB scripts read PNGs). Default true. Values are always clipped to [0, 1].
   */
  readonly quantize?: boolean;
  /** Border pixels to ignore. Default 0. */
  readonly crop?: number;
}

export interface Measurement {
  readonly colorSpace: MetricColorSpace;
  readonly psnr: number;
  readonly ssim: number;
}

function toSpace(image: ImageTensor, space: MetricColorSpace): ImageTensor {
  if (space === 'gray') return toGray(image);
  if (space === 'y') return toY(image);
  return image;
}

/** PSNR and SSIM of `restored` against `reference` in `colorSpace` (the task's, from its recipe). */
export function measure(
  colorSpace: MetricColorSpace,
  restored: ImageTensor,
  reference: ImageTensor,
  options: MeasureOptions = {},
): Measurement {
  if (!COLOR_SPACES.includes(colorSpace)) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(COLOR_SPACES.join(', '), 'measure colour space', colorSpace),
    );
  }
  checkPair(restored, reference, 'measure');
  const quantize = options.quantize !== false;
  // MATLAB's rgb2gray/rgb2ycbcr on uint8 input return uint8, so the converted plane is rounded too.
  const prep = (img: ImageTensor) => {
    if (!quantize) return toSpace(clipImage(img), colorSpace);
    const converted = toSpace(quantize8(img), colorSpace);
    return colorSpace === 'rgb' ? converted : quantize8(converted);
  };
  const a = prep(restored);
  const b = prep(reference);
  const crop = options.crop ?? 0;
  return { colorSpace, psnr: psnr(a, b, { peak: 1, crop }), ssim: ssim(a, b, { dataRange: 1, crop }) };
}
