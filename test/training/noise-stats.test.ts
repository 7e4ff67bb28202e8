import { describe, expect, it } from 'vitest';
import {
  addCameraPipelineNoise,
  cameraPipelineNoiseSchema,
} from '../../src/plugins/denoise/camera-pipeline-noise.ts';
import { addGaussianNoise } from '../../src/plugins/denoise/gaussian-noise.ts';
import { noiseStats, quantile } from '../../src/training/noise-stats.ts';
import { createRng } from '../../src/training/rng.ts';
import { flat, textured } from '../helpers/degradations.ts';

describe('noise statistics without a clean reference', () => {
  it('measures white Gaussian noise: σ, no neighbour or channel correlation', () => {
    const noisy = addGaussianNoise(flat(3, 128, 128, 0.5), { sigma: 10, clip: false }, createRng(1));
    const s = noiseStats(noisy);
    // The residual keeps ~97% of white noise's σ (the blur's own share is removed with it).
    expect(s.sigma).toBeGreaterThan(9.2);
    expect(s.sigma).toBeLessThan(10.2);
    expect(s.neighbourCorrelation).toBeLessThan(0.01);
    expect(s.neighbourCorrelation).toBeGreaterThan(-0.1);
    expect(Math.abs(s.channelCorrelation)).toBeLessThan(0.05);
    expect(s.blocks.every((b) => Math.abs(b.intensity - 0.5) < 0.01)).toBe(true);
  });

  it('sees the spatial correlation that demosaicing gives camera-pipeline noise', () => {
    const p = cameraPipelineNoiseSchema.parse({ shot: 0.01, read: 1e-4 });
    const s = noiseStats(addCameraPipelineNoise(flat(3, 128, 128, 0.4), p, createRng(2)));
    expect(s.neighbourCorrelation).toBeGreaterThan(0.15);
    expect(s.sigma).toBeGreaterThan(3);
  });

  it('keeps only the flattest blocks, so a clean textured photo measures low', () => {
    const img = textured(3, 128, 128, 3);
    expect(noiseStats(img).blocks.length).toBe(16);
    expect(quantile([3, 1, 2], 0.5)).toBe(2);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });
});
