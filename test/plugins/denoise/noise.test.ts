import { describe, expect, it } from 'vitest';
import { addCameraNoise, cameraNoiseSchema } from '../../../src/plugins/denoise/camera-noise.ts';
import { addGaussianNoise } from '../../../src/plugins/denoise/gaussian-noise.ts';
import { srgbToLinear } from '../../../src/training/image-math.ts';
import { createRng } from '../../../src/training/rng.ts';
import { flat, meanStd } from '../../helpers/degradations.ts';

describe('gaussian noise', () => {
  it('has the requested σ (0–255 units) within 2% on a large flat image, unclipped', () => {
    for (const sigma of [30, 50, 70]) {
      const img = flat(1, 512, 512, 0.5);
      const out = addGaussianNoise(img, { sigma, clip: false }, createRng(sigma));
      const { mean, std } = meanStd(out.data);
      expect(Math.abs(std * 255 - sigma) / sigma).toBeLessThan(0.02);
      expect(Math.abs(mean - 0.5)).toBeLessThan(0.002);
    }
  });

  it('keeps values outside [0, 1] unless clip is set', () => {
    const img = flat(3, 64, 64, 0.05);
    const raw = addGaussianNoise(img, { sigma: 50, clip: false }, createRng(1));
    const clipped = addGaussianNoise(img, { sigma: 50, clip: true }, createRng(1));
    expect(Math.min(...raw.data)).toBeLessThan(0);
    expect(Math.min(...clipped.data)).toBe(0);
    expect(Math.max(...clipped.data)).toBeLessThanOrEqual(1);
  });
});

/** Variance of noise at several linear levels, and the least-squares line through them. */
function fitVariance(level: (v: number) => number[], levels: number[]) {
  const xs: number[] = [];
  const vs: number[] = [];
  for (const v of levels) {
    xs.push(v);
    const ch = level(v);
    vs.push(ch.reduce((a, b) => a + b, 0) / ch.length);
  }
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const mv = vs.reduce((a, b) => a + b, 0) / vs.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (vs[i]! - mv);
    sxx += (xs[i]! - mx) ** 2;
  }
  const slope = sxy / sxx;
  return { slope, intercept: mv - slope * mx };
}

describe('camera (Poisson–Gaussian) noise', () => {
  const levels = [0.1, 0.3, 0.5, 0.7, 0.9];
  const measure = (params: object, channel: number, seed: number) =>
    fitVariance((v) => {
      const out = addCameraNoise(
        flat(3, 160, 160, v),
        cameraNoiseSchema.parse({ space: 'linear', clip: false, ...params }),
        createRng(seed + v),
      );
      const n = 160 * 160;
      return [meanStd(out.data.subarray(channel * n, (channel + 1) * n)).std ** 2];
    }, levels);

  it('variance = g·a·x + g²·b per channel (exact Poisson shot noise)', () => {
    const a = 0.01;
    const b = 4e-4;
    const gains: [number, number, number] = [2, 1, 1.5];
    for (const c of [0, 1, 2]) {
      const fit = measure({ shot: a, read: b, channelGains: gains }, c, c);
      const g = gains[c]!;
      expect(Math.abs(fit.slope / (g * a) - 1)).toBeLessThan(0.04);
      expect(Math.abs(fit.intercept - g * g * b)).toBeLessThan(0.04 * g * g * b + 0.01 * g * a);
    }
  });

  it('keeps the same variance with correlated channels, and the requested correlation', () => {
    const fit = measure({ shot: 0.01, read: 4e-4, correlation: 0.5 }, 1, 7);
    expect(Math.abs(fit.slope / 0.01 - 1)).toBeLessThan(0.04);
    const out = addCameraNoise(
      flat(3, 200, 200, 0.4),
      cameraNoiseSchema.parse({ shot: 0.01, read: 1e-4, correlation: 0.5, space: 'linear', clip: false }),
      createRng(3),
    );
    const n = 200 * 200;
    const r = out.data.subarray(0, n);
    const g = out.data.subarray(n, 2 * n);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      sxy += (r[i]! - 0.4) * (g[i]! - 0.4);
      sxx += (r[i]! - 0.4) ** 2;
      syy += (g[i]! - 0.4) ** 2;
    }
    expect(sxy / Math.sqrt(sxx * syy)).toBeCloseTo(0.5, 1);
  });

  it('works in sRGB: the noise is added in linear light (darker shadows are relatively noisier)', () => {
    const v = 0.5;
    const out = addCameraNoise(
      flat(1, 200, 200, v),
      cameraNoiseSchema.parse({ shot: 0.004, read: 0, clip: false }),
      createRng(1),
    );
    // Mean is preserved in linear light; the sRGB mean shifts only slightly (curvature).
    let linMean = 0;
    for (const x of out.data) linMean += srgbToLinear(x);
    linMean /= out.data.length;
    expect(Math.abs(linMean - srgbToLinear(v))).toBeLessThan(0.002);
    const clipped = addCameraNoise(
      flat(3, 32, 32, 0.98),
      cameraNoiseSchema.parse({ shot: 0.05 }),
      createRng(2),
    );
    expect(Math.max(...clipped.data)).toBeLessThanOrEqual(1);
  });
});
