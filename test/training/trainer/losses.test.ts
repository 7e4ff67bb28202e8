import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  gaussianBlurValid,
  l1Loss,
  l2Loss,
  lossFunction,
  ssimL1Loss,
  ssimTf,
} from '../../../src/training/losses.ts';
import { ssim } from '../../../src/training/metrics.ts';
import { initTrainingBackend } from '../../../src/training/replica.ts';

/** A smooth test image with edges, and a noisy copy, NHWC and planar. */
function pair(c: number, h: number, w: number) {
  const clean = new Float32Array(h * w * c);
  const noisy = new Float32Array(h * w * c);
  let a = 7;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const v = 0.5 + 0.3 * Math.sin(x / 5 + k) * Math.cos(y / 7) + (x > w / 2 ? 0.15 : -0.1);
        a = (a * 1103515245 + 12345) % 2147483648;
        const i = (y * w + x) * c + k;
        clean[i] = v;
        noisy[i] = v + (a / 2147483648 - 0.5) * 0.3;
      }
    }
  }
  const planar = (d: Float32Array) => {
    const out = new Float32Array(d.length);
    for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) out[k * h * w + p] = d[p * c + k]!;
    return { channels: c, height: h, width: w, data: out };
  };
  return { clean, noisy, cleanPlanar: planar(clean), noisyPlanar: planar(noisy) };
}

describe.each(['wasm', 'cpu'] as const)('losses on tfjs %s', (backend) => {
  beforeAll(async () => {
    await initTrainingBackend(backend);
  });

  it.each([1, 3])('SSIM with %i channel(s) matches metrics.ssim to 1e-4', (c) => {
    const { clean, noisy, cleanPlanar, noisyPlanar } = pair(c, 40, 52);
    const value = tf.tidy(
      () => ssimTf(tf.tensor4d(noisy, [1, 40, 52, c]), tf.tensor4d(clean, [1, 40, 52, c])).dataSync()[0]!,
    );
    const ref = ssim(noisyPlanar, cleanPlanar);
    expect(ref).toBeLessThan(0.9);
    expect(Math.abs(value - ref)).toBeLessThan(1e-4);
  });

  it('the Gaussian blur gradient is the exact adjoint (⟨Bx, y⟩ = ⟨x, Bᵀy⟩)', () => {
    tf.tidy(() => {
      const x = tf.randomUniform([2, 20, 17, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      const y = tf.randomUniform([2, 10, 7, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
      const bx = gaussianBlurValid(x);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gaussianBlurValid(t as tf.Tensor4D), y)))(x);
      const lhs = tf.sum(tf.mul(bx, y)).dataSync()[0]!;
      const rhs = tf.sum(tf.mul(x, grad)).dataSync()[0]!;
      expect(Math.abs(lhs - rhs) / Math.abs(lhs)).toBeLessThan(1e-5);
    });
  });

  it('the SSIM+L1 loss gradient agrees with central differences', () => {
    tf.tidy(() => {
      const { clean, noisy } = pair(1, 16, 16);
      const target = tf.tensor4d(clean, [1, 16, 16, 1]);
      const x = tf.tensor4d(noisy, [1, 16, 16, 1]);
      const g = tf
        .grad((t: tf.Tensor) => ssimL1Loss(t as tf.Tensor4D, target))(x)
        .dataSync();
      const h = 1e-2;
      for (const i of [0, 37, 120, 255]) {
        const bump = (d: number) => {
          const v = Float32Array.from(noisy);
          v[i]! += d;
          return ssimL1Loss(tf.tensor4d(v, [1, 16, 16, 1]), target).dataSync()[0]!;
        };
        const numeric = (bump(h) - bump(-h)) / (2 * h);
        expect(Math.abs(numeric - g[i]!)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)) + 5e-5);
      }
    });
  });

  // tfjs's own abs has gradient −1 at 0; PyTorch's (the torch engine, the authors) has 0.
  it("L1's gradient is sign(pred − target): 0 where the output is already right, as in PyTorch", () => {
    tf.tidy(() => {
      const target = tf.tensor4d([0.2, 0.5, 0.5, 0.9], [1, 2, 2, 1]);
      const pred = tf.tensor4d([0.1, 0.5, 0.5, 1.0], [1, 2, 2, 1]);
      const g = tf
        .grad((t: tf.Tensor) => l1Loss(t as tf.Tensor4D, target))(pred)
        .dataSync();
      expect(Array.from(g)).toEqual([-0.25, 0, 0, 0.25]);
      // Through SSIM+L1 at the identity (pred = target): SSIM is at its maximum, so all of it is 0.
      const photo = tf.tensor4d(pair(1, 16, 16).clean, [1, 16, 16, 1]);
      const same = tf
        .grad((t: tf.Tensor) => ssimL1Loss(t as tf.Tensor4D, photo))(photo)
        .dataSync();
      expect(Math.max(...Array.from(same, Math.abs))).toBeLessThan(1e-6);
    });
  });

  it('L1 and L2 are the mean absolute and squared errors', () => {
    tf.tidy(() => {
      const a = tf.tensor4d([0, 1, 2, 3], [1, 2, 2, 1]);
      const b = tf.tensor4d([1, 1, 0, 3], [1, 2, 2, 1]);
      expect(l1Loss(a, b).dataSync()[0]).toBeCloseTo(0.75, 6);
      expect(l2Loss(a, b).dataSync()[0]).toBeCloseTo(1.25, 6);
      // The kinds a recipe names: L2 for Gaussian noise, SSIM+L1 for the rest, L1 for S-P's last phase.
      expect([lossFunction('l2'), lossFunction('ssim-l1'), lossFunction('l1')]).toEqual([
        l2Loss,
        ssimL1Loss,
        l1Loss,
      ]);
    });
  });
});
