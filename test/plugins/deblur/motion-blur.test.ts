import { describe, expect, it } from 'vitest';
import {
  applyMotionBlur,
  convolve,
  motionTrajectory,
  rasterizePsf,
} from '../../../src/plugins/deblur/motion-blur.ts';
import { createRng } from '../../../src/training/rng.ts';
import { flat, meanStd, textured } from '../../helpers/degradations.ts';

describe('motion blur trajectories and PSFs', () => {
  for (const [length, anxiety, exposure] of [
    [5, 0.005, 1],
    [15, 0.001, 0.6],
    [31, 0.01, 1],
  ] as const) {
    it(`length ${length}, anxiety ${anxiety}, exposure ${exposure}: PSF is a normalised, non-negative raster of the path`, () => {
      const traj = motionTrajectory(length, anxiety, createRng(length));
      expect(traj.length).toBeCloseTo(length, 9);
      let poly = 0;
      for (let i = 1; i < traj.x.length; i++)
        poly += Math.hypot(traj.x[i]! - traj.x[i - 1]!, traj.y[i]! - traj.y[i - 1]!);
      expect(poly).toBeCloseTo(length, 6);

      const psf = rasterizePsf(traj, exposure);
      let sum = 0;
      for (const v of psf.kernel) {
        expect(v).toBeGreaterThanOrEqual(0);
        sum += v;
      }
      expect(sum).toBeCloseTo(1, 5);
      // The support is exactly the pixels next to the used part of the path.
      const used = Math.floor(exposure * (traj.x.length - 1)) + 1;
      const near = new Uint8Array(psf.size * psf.size);
      for (let i = 0; i < used; i++) {
        const px = traj.x[i]! + psf.offsetX;
        const py = traj.y[i]! + psf.offsetY;
        for (const [dx, dy] of [
          [0, 0],
          [1, 0],
          [0, 1],
          [1, 1],
        ]) {
          near[(Math.floor(py) + dy!) * psf.size + Math.floor(px) + dx!] = 1;
        }
      }
      let extent = 0;
      for (let i = 0; i < psf.kernel.length; i++) {
        if (psf.kernel[i]! > 0) expect(near[i]).toBe(1);
      }
      const xs: number[] = [];
      const ys: number[] = [];
      psf.kernel.forEach((v, i) => {
        if (v > 1e-6) {
          xs.push(i % psf.size);
          ys.push(Math.floor(i / psf.size));
        }
      });
      extent = Math.hypot(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
      // A path of length L fits in a box of diagonal ≤ L (plus the bilinear footprint).
      expect(extent).toBeLessThanOrEqual(exposure * length + 2 * Math.SQRT2);
      // Centred on its centre of mass.
      let cx = 0;
      let cy = 0;
      psf.kernel.forEach((v, i) => {
        cx += v * (i % psf.size);
        cy += v * Math.floor(i / psf.size);
      });
      expect(cx).toBeCloseTo((psf.size - 1) / 2, 4);
      expect(cy).toBeCloseTo((psf.size - 1) / 2, 4);
    });
  }

  it('zero anxiety gives a straight line whose extent equals the length', () => {
    const traj = motionTrajectory(20, 0, createRng(3));
    const last = traj.x.length - 1;
    expect(Math.hypot(traj.x[last]! - traj.x[0]!, traj.y[last]! - traj.y[0]!)).toBeCloseTo(20, 6);
  });
});

describe('convolution', () => {
  it('is a true convolution: an impulse reproduces the kernel; constants are preserved', () => {
    const size = 5;
    const kernel = new Float32Array(size * size);
    kernel[0] = 0.25; // offset (−2, −2)
    kernel[2 * size + 2] = 0.5;
    kernel[3 * size + 4] = 0.25; // offset (+1, +2)
    const img = flat(1, 16, 16, 0);
    (img.data as Float32Array)[8 * 16 + 8] = 1;
    const out = convolve(img, kernel, size).data;
    expect(out[6 * 16 + 6]).toBeCloseTo(0.25, 6);
    expect(out[8 * 16 + 8]).toBeCloseTo(0.5, 6);
    expect(out[9 * 16 + 10]).toBeCloseTo(0.25, 6);
    const c = convolve(flat(3, 10, 12, 0.7), kernel, size).data;
    for (const v of c) expect(v).toBeCloseTo(0.7, 6);
  });

  it('blurs: lowers the gradient energy of a textured image, keeps its mean; noise option adds σ', () => {
    const img = textured(3, 64, 64);
    const params = { length: 15, anxiety: 0.005, exposure: 1, noiseSigma: 0 };
    const out = applyMotionBlur(img, params, createRng(1));
    const grad = (d: ArrayLike<number>) => {
      let e = 0;
      for (let i = 1; i < 64 * 64; i++) if (i % 64) e += (d[i]! - d[i - 1]!) ** 2;
      return e;
    };
    expect(grad(out.data)).toBeLessThan(0.5 * grad(img.data));
    expect(meanStd(out.data).mean).toBeCloseTo(meanStd(img.data).mean, 2);
    const noisy = applyMotionBlur(flat(1, 128, 128, 0.5), { ...params, noiseSigma: 10 }, createRng(1));
    expect(meanStd(noisy.data).std * 255).toBeCloseTo(10, 0);
  });
});
