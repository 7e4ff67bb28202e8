import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import { BAYER_PATTERNS, demosaic, mosaic } from '../../../src/plugins/denoise/bayer.ts';
import {
  addCameraPipelineNoise,
  cameraPipelineNoise,
  cameraPipelineNoiseSchema,
  rawNoise,
  sampleCameraPipelineNoise,
} from '../../../src/plugins/denoise/camera-pipeline-noise.ts';
import {
  addColourNoiseMix,
  colourNoiseMixSchema,
  MIX_WEIGHTS,
  sampleColourNoiseMix,
} from '../../../src/plugins/denoise/colour-noise-mix.ts';
import { jpegRoundTrip } from '../../../src/plugins/denoise/jpeg.ts';
import { getPlugin } from '../../../src/plugins/registry.ts';
import { degradationFor, parseParams } from '../../../src/training/degradations/index.ts';
import { createRng } from '../../../src/training/rng.ts';
import { equalData, flat, meanStd, textured } from '../../helpers/degradations.ts';

/** Correlation of each value with its right-hand neighbour, over the given planar channel. */
function neighbourCorrelation(d: ArrayLike<number>, w: number, h: number, offset = 0): number {
  let sx = 0;
  let sy = 0;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  let k = 0;
  for (let y = 2; y < h - 2; y++) {
    for (let x = 2; x < w - 3; x++) {
      const a = d[offset + y * w + x]!;
      const b = d[offset + y * w + x + 1]!;
      sx += a;
      sy += b;
      sxy += a * b;
      sxx += a * a;
      syy += b * b;
      k++;
    }
  }
  const cov = sxy / k - (sx / k) * (sy / k);
  return cov / Math.sqrt((sxx / k - (sx / k) ** 2) * (syy / k - (sy / k) ** 2));
}

const psnr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(a.length / s);
};

describe('raw sensor noise', () => {
  it('has variance shot·x + read at every level, zero mean (Poisson shot + Gaussian read)', () => {
    const shot = 0.01;
    const read = 4e-4;
    for (const level of [0.02, 0.2, 0.5, 0.9]) {
      const x = new Float64Array(200_000).fill(level);
      const { mean, std } = meanStd(rawNoise(x, shot, read, createRng(level)));
      const expected = shot * level + read;
      expect(Math.abs(std ** 2 / expected - 1)).toBeLessThan(0.02);
      expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(expected / x.length));
    }
  });

  it('is white on the mosaic, spatially correlated after demosaicing (both demosaicers)', () => {
    const w = 256;
    const h = 256;
    const base = cameraPipelineNoiseSchema.parse({ shot: 0.01, read: 1e-4, toneCurve: false });
    const clean = flat(3, h, w, 0.5);
    const raw = rawNoise(new Float64Array(w * h).fill(0.3), 0.01, 1e-4, createRng(1));
    expect(Math.abs(neighbourCorrelation(raw, w, h))).toBeLessThan(0.02);
    for (const method of ['bilinear', 'malvar'] as const) {
      const out = addCameraPipelineNoise(clean, { ...base, demosaic: method }, createRng(2));
      const residual = out.data.map((v, i) => v - clean.data[i]!);
      for (const c of [0, 1, 2]) {
        expect(neighbourCorrelation(residual, w, h, c * w * h)).toBeGreaterThan(0.1);
      }
    }
  });

  it('makes shadows relatively noisier than highlights but noise grows with signal in raw', () => {
    const p = cameraPipelineNoiseSchema.parse({ shot: 0.005, read: 1e-5, toneCurve: false });
    const std = (v: number) => {
      const img = flat(3, 128, 128, v);
      const out = addCameraPipelineNoise(img, p, createRng(v));
      return meanStd(out.data.subarray(128 * 128, 2 * 128 * 128)).std;
    };
    // In sRGB the gamma compresses bright noise: σ falls from mid-grey to near-white.
    expect(std(0.5)).toBeGreaterThan(std(0.9));
    expect(std(0.1)).toBeGreaterThan(0.005);
  });
});

describe('demosaicing', () => {
  it('reproduces per-channel linear ramps exactly away from the border, for every pattern', () => {
    const w = 24;
    const h = 20;
    const n = w * h;
    const rgb = new Float64Array(3 * n);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        rgb[y * w + x] = 0.1 + 0.01 * x + 0.005 * y;
        rgb[n + y * w + x] = 0.4 - 0.004 * x + 0.008 * y;
        rgb[2 * n + y * w + x] = 0.7 + 0.002 * x - 0.01 * y;
      }
    for (const pattern of BAYER_PATTERNS) {
      for (const method of ['bilinear', 'malvar'] as const) {
        const out = demosaic(mosaic(rgb, h, w, pattern), h, w, pattern, method);
        let worst = 0;
        for (let c = 0; c < 3; c++)
          for (let y = 2; y < h - 2; y++)
            for (let x = 2; x < w - 2; x++) {
              const i = c * n + y * w + x;
              worst = Math.max(worst, Math.abs(out[i]! - rgb[i]!));
            }
        expect(worst, `${pattern} ${method}`).toBeLessThan(1e-12);
      }
    }
  });
});

describe('camera-pipeline noise', () => {
  it('returns the clean photo at zero noise (JPEG off); the pipeline itself round-trips, whatever the camera', () => {
    for (const seed of [1, 2, 3, 4]) {
      const camera = sampleCameraPipelineNoise(createRng(seed), 0);
      for (const clean of [textured(3, 40, 36, seed), textured(1, 24, 24, seed)]) {
        const zero = addCameraPipelineNoise(clean, { ...camera, shot: 0, read: 0 }, createRng(seed));
        expect(equalData(zero, clean)).toBe(true);
        // A vanishing read noise (σ 1e-10) takes the whole path: unprocess, mosaic, demosaic, process.
        const out = addCameraPipelineNoise(clean, { ...camera, shot: 0, read: 1e-20 }, createRng(seed));
        let worst = 0;
        for (let i = 0; i < out.data.length; i++)
          worst = Math.max(worst, Math.abs(out.data[i]! - clean.data[i]!));
        expect(worst).toBeLessThan(1e-6);
      }
    }
  });

  it('is deterministic per seed, and the sampled parameters validate', () => {
    const clean = textured(3, 48, 48, 5);
    for (const seed of [10, 11, 12]) {
      const p = sampleCameraPipelineNoise(createRng(seed));
      expect(parseParams(cameraPipelineNoise, p)).toEqual(p);
      const a = addCameraPipelineNoise(clean, p, createRng(seed));
      expect(equalData(a, addCameraPipelineNoise(clean, p, createRng(seed)))).toBe(true);
      expect(equalData(a, addCameraPipelineNoise(clean, p, createRng(seed + 100)))).toBe(false);
      expect(a.data.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });

  it('samples Brooks et al.’s ranges: log-uniform shot, read on their log-log line', () => {
    const rng = createRng('ranges');
    const ps = Array.from({ length: 2000 }, () => sampleCameraPipelineNoise(rng));
    expect(Math.min(...ps.map((p) => p.shot))).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...ps.map((p) => p.shot))).toBeLessThanOrEqual(0.012);
    const resid = ps.map((p) => Math.log(p.read) - (2.18 * Math.log(p.shot) + 1.2));
    const { mean, std } = meanStd(resid);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(std).toBeCloseTo(0.26, 1);
    const jpeg = ps.filter((p) => p.jpeg !== null);
    expect(jpeg.length / ps.length).toBeCloseTo(0.5, 1);
    expect(jpeg.every((p) => p.jpeg! >= 60 && p.jpeg! <= 100)).toBe(true);
    expect(new Set(ps.map((p) => p.pattern)).size).toBe(4);
  });

  it('rejects bad parameters as user errors in sharp’s wording', () => {
    expect(() => parseParams(cameraPipelineNoise, { pattern: 'RGBG' })).toThrow(DurnUserError);
    expect(() => parseParams(cameraPipelineNoise, { ccm: [1, 2, 3, 2, 4, 6, 0, 0, 1] })).toThrow(
      /invertible 3×3 matrix for camera-pipeline-noise\.ccm/,
    );
    expect(() => parseParams(cameraPipelineNoise, { jpeg: 101 })).toThrow(/camera-pipeline-noise\.jpeg/);
  });
});

describe('JPEG simulation', () => {
  it('matches a real JPEG round trip through sharp (libjpeg) far closer than JPEG matches the original', async () => {
    const w = 96;
    const h = 80;
    const img = textured(3, h, w, 8);
    const n = w * h;
    const rgb = Buffer.alloc(3 * n);
    for (let i = 0; i < n; i++)
      for (let c = 0; c < 3; c++)
        rgb[i * 3 + c] = Math.round(Math.min(1, Math.max(0, img.data[c * n + i]!)) * 255);
    const orig = new Float32Array(3 * n);
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) orig[c * n + i] = rgb[i * 3 + c]! / 255;
    for (const quality of [60, 85]) {
      const buf = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
        .jpeg({ quality, chromaSubsampling: '4:2:0' })
        .toBuffer();
      const dec = await sharp(buf).raw().toBuffer();
      const ref = new Float32Array(3 * n);
      for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) ref[c * n + i] = dec[i * 3 + c]! / 255;
      const mine = jpegRoundTrip({ channels: 3, height: h, width: w, data: orig }, quality);
      const loss = psnr(ref, orig);
      expect(loss).toBeLessThan(45);
      expect(psnr(mine.data, ref)).toBeGreaterThan(loss + 6);
    }
  });
});

describe('colour noise mix (the colour denoiser’s training degradation)', () => {
  it('is the denoise-rgb training degradation; both evaluation noises are registered by name', () => {
    const recipe = getPlugin('denoise').training?.['durn-p-nonorm'];
    expect(recipe?.degradation.name).toBe('colour-noise-mix');
    expect(recipe?.evaluations?.map((e) => [e.id, e.degradation.name])).toEqual([
      ['denoise-camera', 'camera-pipeline-noise'],
      ['denoise-rgb', 'camera-noise'],
    ]);
    expect(degradationFor('denoise-rgb').name).toBe('colour-noise-mix');
    expect(degradationFor('camera-noise').name).toBe('camera-noise');
    expect(degradationFor('camera-pipeline-noise').name).toBe('camera-pipeline-noise');
    expect(() => degradationFor('sharpen')).toThrow(DurnUserError);
  });

  it('draws its kinds in the documented shares, and leaves clean samples untouched', () => {
    const rng = createRng('mix');
    const counts = { 'camera-pipeline': 0, gaussian: 0, clean: 0 };
    for (let i = 0; i < 3000; i++) counts[sampleColourNoiseMix(rng).kind]++;
    expect(counts['camera-pipeline'] / 3000).toBeCloseTo(MIX_WEIGHTS[0], 1);
    expect(counts.gaussian / 3000).toBeCloseTo(MIX_WEIGHTS[1], 1);
    expect(counts.clean / 3000).toBeCloseTo(MIX_WEIGHTS[2], 1);
    const img = textured(3, 32, 32, 2);
    const clean = addColourNoiseMix(img, colourNoiseMixSchema.parse({ kind: 'clean' }), createRng(1));
    expect(equalData(clean, img)).toBe(true);
    const noisy = addColourNoiseMix(
      img,
      colourNoiseMixSchema.parse({ kind: 'gaussian', gaussian: { sigma: 40 } }),
      createRng(1),
    );
    expect(noisy.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});
