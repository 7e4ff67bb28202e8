import { describe, expect, it } from 'vitest';
import { applyHaze, hazeDepth, hazeSchema, hazeWithDepth } from '../../../src/plugins/dehaze/haze.ts';
import { createRng } from '../../../src/training/rng.ts';
import { flat, meanStd, textured } from '../../helpers/degradations.ts';

describe('haze', () => {
  it('recovers t = exp(−β·d) and A from two known scenes with a known depth', () => {
    const h = 24;
    const w = 32;
    const depth = new Float32Array(h * w).map((_, i) => 0.2 + (i % w) / w + (0.3 * Math.floor(i / w)) / h);
    const beta = 1.7;
    const A: [number, number, number] = [0.92, 0.88, 0.8];
    const j1 = flat(3, h, w, [0.1, 0.2, 0.3]);
    const j2 = flat(3, h, w, [0.6, 0.5, 0.4]);
    const i1 = hazeWithDepth(j1, depth, beta, A).data;
    const i2 = hazeWithDepth(j2, depth, beta, A).data;
    const n = h * w;
    for (let c = 0; c < 3; c++) {
      for (let k = 0; k < n; k += 37) {
        const t = (i1[c * n + k]! - i2[c * n + k]!) / (j1.data[c * n + k]! - j2.data[c * n + k]!);
        expect(t).toBeCloseTo(Math.exp(-beta * depth[k]!), 5);
        const a = (i1[c * n + k]! - j1.data[c * n + k]! * t) / (1 - t);
        expect(a).toBeCloseTo(A[c]!, 4);
      }
    }
  });

  it('depth proxy is in [nearDepth, 1], smooth, and farther near the top', () => {
    const params = hazeSchema.parse({ nearDepth: 0.2, verticalWeight: 0.6 });
    const d = hazeDepth(96, 128, params, createRng(4));
    expect(Math.min(...d)).toBeCloseTo(0.2, 5);
    expect(Math.max(...d)).toBeCloseTo(1, 5);
    const top = meanStd(d.subarray(0, 128 * 10)).mean;
    const bottom = meanStd(d.subarray(128 * 86)).mean;
    expect(top).toBeGreaterThan(bottom + 0.3);
    let maxStep = 0;
    for (let i = 1; i < d.length; i++) if (i % 128) maxStep = Math.max(maxStep, Math.abs(d[i]! - d[i - 1]!));
    expect(maxStep).toBeLessThan(0.05);
  });

  it('lowers contrast and pulls towards the airlight; stronger β hazes more', () => {
    const img = textured(3, 48, 48);
    const light = applyHaze(img, hazeSchema.parse({ beta: 0.5 }), createRng(1));
    const heavy = applyHaze(img, hazeSchema.parse({ beta: 2.5 }), createRng(1));
    const s0 = meanStd(img.data).std;
    expect(meanStd(light.data).std).toBeLessThan(s0);
    expect(meanStd(heavy.data).std).toBeLessThan(meanStd(light.data).std);
    expect(meanStd(heavy.data).mean).toBeGreaterThan(meanStd(img.data).mean);
  });
});
