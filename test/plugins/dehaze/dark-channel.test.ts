import { describe, expect, it } from 'vitest';
import type { ImageTensor } from '../../../src/models/engines/types.ts';
import {
  boxMean,
  DARK_CHANNEL_DEFAULTS,
  darkChannel,
  dehazeDarkChannel,
  estimateAirlight,
  estimateTransmission,
  guidedFilter,
  minFilter,
} from '../../../src/plugins/dehaze/dark-channel.ts';
import { hazeDepth, hazeSchema, hazeWithDepth } from '../../../src/plugins/dehaze/haze.ts';
import { psnr } from '../../../src/training/metrics.ts';
import { createRng } from '../../../src/training/rng.ts';

/** A haze-free scene that obeys the prior: 6×6 colour blocks, each with one channel near black. */
function colourfulScene(height: number, width: number, seed: number): ImageTensor {
  const rng = createRng(seed);
  const n = height * width;
  const data = new Float32Array(3 * n);
  const bw = Math.ceil(width / 6);
  const blocks = Array.from({ length: Math.ceil(height / 6) * bw }, () => {
    const dark = Math.floor(rng.uniform() * 3);
    return [0, 1, 2].map((c) => (c === dark ? 0.02 : rng.uniform(0.2, 0.95)));
  });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const block = blocks[Math.floor(y / 6) * bw + Math.floor(x / 6)]!;
      for (let c = 0; c < 3; c++) data[c * n + y * width + x] = block[c]!;
    }
  }
  return { channels: 3, height, width, data };
}

describe('dark channel prior', () => {
  it('min and box filters match a brute-force window clamped to the image', () => {
    const rng = createRng(3);
    const h = 9;
    const w = 13;
    const src = Float32Array.from({ length: h * w }, () => rng.uniform());
    const r = 2;
    const min = minFilter(src, h, w, r);
    const mean = boxMean(src, h, w, r);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let m = Number.POSITIVE_INFINITY;
        let s = 0;
        let count = 0;
        for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
          for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++) {
            m = Math.min(m, src[yy * w + xx]!);
            s += src[yy * w + xx]!;
            count++;
          }
        }
        expect(min[y * w + x]).toBe(m);
        expect(mean[y * w + x]).toBeCloseTo(s / count, 5);
      }
    }
  });

  it('guided filter keeps edges the guide has and flattens a constant', () => {
    const h = 20;
    const w = 20;
    const step = Float32Array.from({ length: h * w }, (_, i) => (i % w < 10 ? 0.1 : 0.9));
    const kept = guidedFilter(step, step, h, w, 4, 1e-6);
    for (let i = 0; i < kept.length; i++) expect(kept[i]).toBeCloseTo(step[i]!, 3);
    const constant = guidedFilter(step, new Float32Array(h * w).fill(0.4), h, w, 4, 1e-4);
    for (const v of constant) expect(v).toBeCloseTo(0.4, 5);
  });

  it('reads the transmission off the dark channel where the prior holds', () => {
    const h = 48;
    const w = 64;
    const clean = colourfulScene(h, w, 5);
    const airlight: [number, number, number] = [0.9, 0.88, 0.84];
    for (const t of [0.2, 0.5, 0.9]) {
      const hazy = hazeWithDepth(clean, new Float32Array(h * w).fill(1), -Math.log(t), airlight);
      const raw = { ...DARK_CHANNEL_DEFAULTS, omega: 1, radius: 0 };
      // The darkest pixel (0.02 in some channel) reads I/A = 1 − t + 0.02·t/A: t is under-read by ≤ 2.4 %.
      for (const v of estimateTransmission(hazy, airlight, raw)) {
        expect(v).toBeLessThanOrEqual(t + 1e-6);
        expect(v).toBeGreaterThan(t * 0.975);
      }
      // ω = 0.95 leaves 5 % of the haze, t̃ = 0.05 + 0.95·(the raw read), and the guided filter
      // keeps a flat transmission flat over the scene's edges.
      for (const v of estimateTransmission(hazy, airlight)) {
        expect(v).toBeLessThanOrEqual(0.05 + 0.95 * t + 1e-4);
        expect(v).toBeGreaterThan(0.05 + 0.95 * t * 0.975 - 1e-4);
      }
    }
  });

  it('clears dense haze over a scene that obeys the prior and finds the airlight', () => {
    const h = 96;
    const w = 128;
    const clean = colourfulScene(h, w, 5);
    const depth = hazeDepth(h, w, hazeSchema.parse({ nearDepth: 0.1, verticalWeight: 0.8 }), createRng(6));
    const airlight: [number, number, number] = [0.9, 0.88, 0.84];
    const hazy = hazeWithDepth(clean, depth, 2.5, airlight);
    // The most opaque pixel still carries t·J of its scene (t = e^−2.5 = 0.08 at the far end).
    const estimated = estimateAirlight(hazy, darkChannel(hazy, [1, 1, 1], 15));
    for (let c = 0; c < 3; c++) expect(Math.abs(estimated[c]! - airlight[c]!)).toBeLessThan(0.08);
    const before = psnr(hazy, clean, { peak: 1 });
    const after = psnr(dehazeDarkChannel(hazy), clean, { peak: 1 });
    expect(before).toBeLessThan(8);
    expect(after).toBeGreaterThan(before + 3);
  });

  it('leaves a haze-free scene that obeys the prior nearly unchanged', () => {
    const clean = colourfulScene(64, 64, 8);
    expect(psnr(dehazeDarkChannel(clean), clean, { peak: 1 })).toBeGreaterThan(30);
  });
});
