/**
 * Noise statistics of a single photo without a clean reference, to compare synthetic noise with
 * real camera noise (scripts/noise-stats.ts). The residual is the photo minus a Gaussian blur
 * (σ 2 px: a crude denoised estimate); texture leaks into it, so only the flattest blocks count:
 * 16×16 blocks ranked by the mean gradient of the blurred photo, the flattest `flatShare` kept.
 *
 * Per image: the residual's σ (in 0–255 units, RMS over channels, median over flat blocks),
 * the correlation of horizontally neighbouring residual values (white noise: slightly negative,
 * about −0.04 from the blur's centre weight; demosaicked noise: clearly positive) and the
 * correlation between the red and green residuals at one pixel. Blocks also carry their mean
 * luma, for noise level versus intensity.
 */
import type { ImageTensor } from '../models/engines/types.ts';
import { GRAY_WEIGHTS, gaussianBlur } from './image-math.ts';

export const BLOCK = 16;
export const BLUR_SIGMA = 2;

export interface BlockStats {
  /** Mean luma of the blurred photo, 0–1. */
  readonly intensity: number;
  /** Residual σ (0–255 units), RMS over channels. */
  readonly sigma: number;
}

export interface NoiseStats {
  readonly sigma: number;
  readonly neighbourCorrelation: number;
  /** Red–green residual correlation (0 for grey images). */
  readonly channelCorrelation: number;
  readonly blocks: readonly BlockStats[];
}

class Corr {
  private n = 0;
  private sx = 0;
  private sy = 0;
  private sxy = 0;
  private sxx = 0;
  private syy = 0;
  add(x: number, y: number): void {
    this.n++;
    this.sx += x;
    this.sy += y;
    this.sxy += x * y;
    this.sxx += x * x;
    this.syy += y * y;
  }
  value(): number {
    const { n } = this;
    const cov = this.sxy / n - (this.sx / n) * (this.sy / n);
    const vx = this.sxx / n - (this.sx / n) ** 2;
    const vy = this.syy / n - (this.sy / n) ** 2;
    return cov / Math.sqrt(vx * vy);
  }
}

export function noiseStats(image: ImageTensor, flatShare = 0.25): NoiseStats {
  const { channels, height: h, width: w } = image;
  const n = h * w;
  const smooth = gaussianBlur(image, BLUR_SIGMA);
  const r = image.data.map((v, i) => v - smooth.data[i]!);
  const luma = (d: Float32Array, i: number) =>
    channels === 1
      ? d[i]!
      : GRAY_WEIGHTS[0] * d[i]! + GRAY_WEIGHTS[1] * d[n + i]! + GRAY_WEIGHTS[2] * d[2 * n + i]!;
  const all: { y: number; x: number; activity: number; intensity: number; sigma: number }[] = [];
  for (let by = 0; by + BLOCK <= h; by += BLOCK) {
    for (let bx = 0; bx + BLOCK <= w; bx += BLOCK) {
      let activity = 0;
      let intensity = 0;
      let energy = 0;
      for (let y = by; y < by + BLOCK; y++) {
        for (let x = bx; x < bx + BLOCK; x++) {
          const i = y * w + x;
          intensity += luma(smooth.data, i);
          if (x + 1 < w && y + 1 < h) {
            activity +=
              Math.abs(luma(smooth.data, i + 1) - luma(smooth.data, i)) +
              Math.abs(luma(smooth.data, i + w) - luma(smooth.data, i));
          }
          for (let c = 0; c < channels; c++) energy += r[c * n + i]! ** 2;
        }
      }
      const count = BLOCK * BLOCK;
      all.push({
        y: by,
        x: bx,
        activity: activity / count,
        intensity: intensity / count,
        sigma: 255 * Math.sqrt(energy / (count * channels)),
      });
    }
  }
  all.sort((a, b) => a.activity - b.activity);
  const flat = all.slice(0, Math.max(1, Math.round(all.length * flatShare)));
  const neighbour = new Corr();
  const rg = new Corr();
  for (const b of flat) {
    for (let y = b.y; y < b.y + BLOCK; y++) {
      for (let x = b.x; x < b.x + BLOCK - 1; x++) {
        const i = y * w + x;
        for (let c = 0; c < channels; c++) neighbour.add(r[c * n + i]!, r[c * n + i + 1]!);
        if (channels === 3) rg.add(r[i]!, r[n + i]!);
      }
    }
  }
  const sigmas = flat.map((b) => b.sigma).sort((a, b) => a - b);
  return {
    sigma: sigmas[sigmas.length >> 1]!,
    neighbourCorrelation: neighbour.value(),
    channelCorrelation: channels === 3 ? rg.value() : 0,
    blocks: flat.map((b) => ({ intensity: b.intensity, sigma: b.sigma })),
  };
}

/** The q-quantile (0–1) of `values` by linear interpolation; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
