/**
 * Camera-shake motion blur from random trajectories (Boracchi & Foi, "Modeling the performance of
 * image restoration from motion blur", TIP 2012; the model GoPro-style synthetic sets and
 * DeblurGAN use): a 2-D random walk of constant speed with inertia, a centripetal pull, Gaussian
 * jitter and rare impulsive jerks (direction reversals), sampled at 2000 steps and rasterised with
 * bilinear splatting (subpixel accurate) into a PSF normalised to sum 1. The image is convolved with
 * the PSF (symmetric borders), then optional Gaussian noise is added.
 *
 * The PSF is centred on its centre of mass so that blurring does not shift the image, which would
 * otherwise teach a deblurring network to translate.
 */
import { z } from 'zod';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Degradation } from '../../training/degradations/types.ts';
import { checkImage, makeImage, plane, reflectIndex } from '../../training/image-math.ts';
import type { Rng } from '../../training/rng.ts';

const STEPS = 2000;

export const motionBlurSchema = z.object({
  /** Total trajectory length in pixels (B&F's MaxTotalLength); 0: no blur. Default 15; training 3–31. */
  length: z.number().min(0).max(100).default(15),
  /** B&F "anxiety": strength of jitter and jerks, 0 = straight line. Default 0.005; training 0.001–0.01. */
  anxiety: z.number().min(0).max(0.05).default(0.005),
  /** Fraction of the trajectory the shutter integrates, 0.1–1. Default 1; training 0.5–1. */
  exposure: z.number().min(0.1).max(1).default(1),
  /** Gaussian noise added after blurring, σ in 0–255 units. Default 0; training 0–2. */
  noiseSigma: z.number().min(0).max(50).default(0),
});
export type MotionBlurParams = z.output<typeof motionBlurSchema>;

export interface Trajectory {
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** Polyline length, equal to `length` by construction (constant speed). */
  readonly length: number;
}

/** One random camera trajectory, as in Boracchi & Foi's createTrajectory. */
export function motionTrajectory(length: number, anxiety: number, rng: Rng): Trajectory {
  const x = new Float64Array(STEPS);
  const y = new Float64Array(STEPS);
  const speed = length / (STEPS - 1);
  const centripetal = 0.7 * rng.uniform();
  const probBigShake = 0.2 * rng.uniform();
  const gaussianShake = 10 * rng.uniform();
  const angle = 2 * Math.PI * rng.uniform();
  let vx = Math.cos(angle) * speed;
  let vy = Math.sin(angle) * speed;
  let total = 0;
  for (let t = 0; t < STEPS - 1; t++) {
    let dx = 0;
    let dy = 0;
    if (rng.uniform() < probBigShake * anxiety) {
      // Jerk: twice the velocity turned by π ± 0.5 rad.
      const turn = Math.PI + (rng.uniform() - 0.5);
      dx = 2 * (vx * Math.cos(turn) - vy * Math.sin(turn));
      dy = 2 * (vx * Math.sin(turn) + vy * Math.cos(turn));
    }
    dx += anxiety * (gaussianShake * rng.normal() - centripetal * x[t]!) * speed;
    dy += anxiety * (gaussianShake * rng.normal() - centripetal * y[t]!) * speed;
    vx += dx;
    vy += dy;
    const norm = Math.hypot(vx, vy) || 1;
    vx = (vx / norm) * speed;
    vy = (vy / norm) * speed;
    x[t + 1] = x[t]! + vx;
    y[t + 1] = y[t]! + vy;
    total += speed;
  }
  return { x, y, length: total };
}

export interface Psf {
  /** Row-major size×size weights, non-negative, summing to 1. */
  readonly kernel: Float32Array;
  readonly size: number;
  /** Kernel coordinates of trajectory point (0, 0): trajectory point p lands at p + offset. */
  readonly offsetX: number;
  readonly offsetY: number;
}

/** Rasterises the first `exposure` fraction of a trajectory, centred on its centre of mass. */
export function rasterizePsf(trajectory: Trajectory, exposure = 1): Psf {
  const last = exposure * (STEPS - 1);
  const count = Math.floor(last) + 1;
  const frac = last - Math.floor(last);
  const w = (i: number) => (i < count ? 1 : frac);
  const used = frac > 0 && count < STEPS ? count + 1 : count;
  let cx = 0;
  let cy = 0;
  let wsum = 0;
  for (let i = 0; i < used; i++) {
    cx += w(i) * trajectory.x[i]!;
    cy += w(i) * trajectory.y[i]!;
    wsum += w(i);
  }
  cx /= wsum;
  cy /= wsum;
  let reach = 0;
  for (let i = 0; i < used; i++)
    reach = Math.max(reach, Math.abs(trajectory.x[i]! - cx), Math.abs(trajectory.y[i]! - cy));
  const half = Math.ceil(reach) + 1;
  const size = 2 * half + 1;
  const kernel = new Float64Array(size * size);
  const offsetX = half - cx;
  const offsetY = half - cy;
  for (let i = 0; i < used; i++) {
    const px = trajectory.x[i]! + offsetX;
    const py = trajectory.y[i]! + offsetY;
    const x0 = Math.floor(px);
    const y0 = Math.floor(py);
    const fx = px - x0;
    const fy = py - y0;
    const wi = w(i);
    kernel[y0 * size + x0]! += wi * (1 - fx) * (1 - fy);
    kernel[y0 * size + x0 + 1]! += wi * fx * (1 - fy);
    kernel[(y0 + 1) * size + x0]! += wi * (1 - fx) * fy;
    kernel[(y0 + 1) * size + x0 + 1]! += wi * fx * fy;
  }
  const out = new Float32Array(size * size);
  for (let i = 0; i < out.length; i++) out[i] = kernel[i]! / wsum;
  return { kernel: out, size, offsetX, offsetY };
}

/**
 * 2-D convolution of every channel with a (sparse) odd-sized kernel, symmetric borders. Motion
 * PSFs are thin curves, so looping over their few non-zero taps is far cheaper than a dense or FFT
 * convolution at training-patch sizes.
 */
export function convolve(image: ImageTensor, kernel: Float32Array, size: number): ImageTensor {
  const r = (size - 1) / 2;
  const taps: { dy: number; dx: number; w: number }[] = [];
  let max = 0;
  for (const v of kernel) max = Math.max(max, v);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const v = kernel[i * size + j]!;
      if (v > max * 1e-7) taps.push({ dy: i - r, dx: j - r, w: v });
    }
  }
  const { channels, height: h, width: w } = image;
  const pw = w + 2 * r;
  const padded = new Float32Array((h + 2 * r) * pw);
  const out = new Float32Array(image.data.length);
  const acc = new Float64Array(h * w);
  for (let c = 0; c < channels; c++) {
    const src = plane(image, c);
    for (let y = 0; y < h + 2 * r; y++) {
      const sy = reflectIndex(y - r, h) * w;
      for (let x = 0; x < pw; x++) padded[y * pw + x] = src[sy + reflectIndex(x - r, w)]!;
    }
    acc.fill(0);
    // out(y, x) = Σ k(dy, dx) · in(y − dy, x − dx): a true convolution.
    for (const { dy, dx, w: k } of taps) {
      for (let y = 0; y < h; y++) {
        const srcRow = (y + r - dy) * pw + r - dx;
        const dstRow = y * w;
        for (let x = 0; x < w; x++) acc[dstRow + x]! += k * padded[srcRow + x]!;
      }
    }
    const dst = c * h * w;
    for (let i = 0; i < h * w; i++) out[dst + i] = acc[i]!;
  }
  return makeImage(channels, h, w, out);
}

export function applyMotionBlur(image: ImageTensor, params: MotionBlurParams, rng: Rng): ImageTensor {
  checkImage(image, 'motion-blur input');
  // Length 0 is a still camera: the undamaged cases a deblurrer must learn to leave alone.
  const blurred =
    params.length === 0
      ? makeImage(image.channels, image.height, image.width, Float32Array.from(image.data))
      : (() => {
          const psf = rasterizePsf(motionTrajectory(params.length, params.anxiety, rng), params.exposure);
          return convolve(image, psf.kernel, psf.size);
        })();
  if (params.noiseSigma > 0) {
    const sd = params.noiseSigma / 255;
    const d = blurred.data as Float32Array;
    for (let i = 0; i < d.length; i++) d[i]! += sd * rng.normal();
  }
  return blurred;
}

export const motionBlur: Degradation<MotionBlurParams> = {
  name: 'motion-blur',
  summary: 'camera-shake blur from Boracchi–Foi random trajectories, optional noise',
  channels: [1, 3],
  schema: motionBlurSchema,
  sample: (rng) => ({
    length: rng.uniform(3, 31),
    anxiety: rng.logUniform(0.001, 0.01),
    exposure: rng.uniform(0.5, 1),
    noiseSigma: rng.bernoulli(0.5) ? 0 : rng.uniform(0, 2),
  }),
  apply: applyMotionBlur,
};
