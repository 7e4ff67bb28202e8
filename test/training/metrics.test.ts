import { describe, expect, it } from 'vitest';
import { DurnUserError } from '../../src/core/errors.ts';
import type { ImageTensor } from '../../src/models/engines/types.ts';
import { allRecipes } from '../../src/plugins/training.ts';
import { VALIDATION_PSNR_CAP, validateWith } from '../../src/training/evaluate.ts';
import { GRAY_WEIGHTS, gaussianBlur, toGray, toY } from '../../src/training/image-math.ts';
import { measure, psnr, ssim } from '../../src/training/metrics.ts';
import { createRng } from '../../src/training/rng.ts';
import reference from '../fixtures/metrics-ssim.json' with { type: 'json' };
import { type TestImageKind, testImage } from './metrics-images.ts';

function filled(
  channels: number,
  h: number,
  w: number,
  f: (c: number, y: number, x: number) => number,
): ImageTensor {
  const data = new Float32Array(channels * h * w);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(c * h + y) * w + x] = f(c, y, x);
  return { channels, height: h, width: w, data };
}

describe('psnr', () => {
  it('is 10·log10(peak²/MSE) for a uniform offset', () => {
    const a = filled(1, 8, 8, () => 0.5);
    const b = filled(1, 8, 8, () => 0.6);
    // MSE = 0.01 → 20 dB (float32 storage costs a few 1e-6 dB).
    expect(psnr(a, b)).toBeCloseTo(20, 4);
    expect(psnr(a, b, { peak: 255 })).toBeCloseTo(20 + 20 * Math.log10(255), 4);
  });

  it('averages the squared error over all channels and honours the crop', () => {
    const a = filled(3, 10, 10, () => 0);
    // Error 0.1 only on the border ring of channel 0: cropping it away gives Infinity.
    const b = filled(3, 10, 10, (c, y, x) =>
      c === 0 && (y === 0 || x === 0 || y === 9 || x === 9) ? 0.1 : 0,
    );
    const mse = (36 * 0.01) / 300;
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(1 / mse), 3);
    expect(psnr(a, b, { crop: 1 })).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects mismatched shapes and bad options', () => {
    const a = filled(1, 8, 8, () => 0);
    expect(() =>
      psnr(
        a,
        filled(1, 8, 9, () => 0),
      ),
    ).toThrow(DurnUserError);
    expect(() => psnr(a, a, { peak: -1 })).toThrow(/psnr options.peak/);
    expect(() => psnr(a, a, { crop: 4 })).toThrow(DurnUserError);
  });
});

describe('ssim against scikit-image', () => {
  for (const c of reference.cases) {
    it(`${c.name}: within 1e-4 of ${reference.generator}`, () => {
      const a = testImage(c.a.kind as TestImageKind, c.channels, c.a.seed);
      const b = testImage(c.b.kind as TestImageKind, c.channels, c.b.seed);
      expect(Math.abs(ssim(a, b) - c.ssim)).toBeLessThan(1e-4);
      if (c.psnr !== null) expect(psnr(a, b)).toBeCloseTo(c.psnr, 3);
    });
  }

  it('is symmetric, 1 only for identical images, and decreases with more noise', () => {
    const rng = createRng('ssim');
    const a = filled(1, 32, 32, (_c, y, x) => 0.5 + 0.3 * Math.sin(x / 3) * Math.cos(y / 4));
    const noisy = (sd: number) => filled(1, 32, 32, (_c, y, x) => a.data[y * 32 + x]! + rng.normal(0, sd));
    const n1 = noisy(0.02);
    const n2 = noisy(0.1);
    expect(ssim(a, n1)).toBeCloseTo(ssim(n1, a), 12);
    expect(ssim(a, a)).toBe(1);
    expect(ssim(a, n1)).toBeLessThan(1);
    expect(ssim(a, n2)).toBeLessThan(ssim(a, n1));
    expect(ssim(a, gaussianBlur(a, 1.5))).toBeLessThan(1);
  });

  it('rejects images smaller than the window', () => {
    const a = filled(1, 10, 20, () => 0);
    expect(() => ssim(a, a)).toThrow(/at least 11×11/);
  });
});

describe('colour spaces', () => {
  const rgb = filled(3, 1, 3, (c, _y, x) => (c === x ? 1 : 0));
  it('toGray uses MATLAB rgb2gray weights', () => {
    expect(Array.from(toGray(rgb).data)).toEqual(GRAY_WEIGHTS.map((v) => Math.fround(v)));
  });
  it('toY follows MATLAB rgb2ycbcr: black → 16/255, white → 235/255', () => {
    const bw = filled(3, 1, 2, (_c, _y, x) => x);
    const y = toY(bw).data;
    expect(y[0]! * 255).toBeCloseTo(16, 4);
    expect(y[1]! * 255).toBeCloseTo(235, 4);
    expect(toY(rgb).data[0]! * 255).toBeCloseTo(16 + 65.481, 3);
  });
  it('measure picks the paper colour space per task', () => {
    // The colour space per task now comes with each plugin's training recipe.
    const TASK_COLOR_SPACE = Object.fromEntries(
      allRecipes().map(({ recipe }) => [recipe.name, recipe.colorSpace]),
    );
    expect(TASK_COLOR_SPACE).toEqual({
      'denoise-gray': 'gray',
      'denoise-rgb': 'rgb',
      deblur: 'rgb',
      dehaze: 'rgb',
      derain: 'y',
      raindrop: 'y',
    });
    const a = testImage('clean', 3, 3);
    const b = testImage('noisy', 3, 3);
    const m = measure('y', b, a, { quantize: false });
    expect(m.colorSpace).toBe('y');
    expect(m.ssim).toBeCloseTo(ssim(toY(b), toY(a)), 10);
    expect(measure('rgb', b, a).psnr).toBeCloseTo(psnr(b, a), 3);
    expect(measure('gray', b, a, { quantize: false }).psnr).toBeCloseTo(psnr(toGray(b), toGray(a)), 6);
    expect(() => measure('upscale' as never, a, a)).toThrow(DurnUserError);
  });
});

describe('validation scores', () => {
  it('count an exactly restored crop as VALIDATION_PSNR_CAP dB, so that the mean stays finite', async () => {
    const s = 16;
    const n = 2;
    const rng = createRng(7);
    const target = Float32Array.from({ length: n * s * s }, () => rng.uniform());
    const input = Float32Array.from(target, (v, i) => (i < s * s ? v : Math.min(1, v + 0.01)));
    const set = { count: n, size: s, channels: 1, input, target };
    // The identity: crop 0 is undamaged (restored exactly), crop 1 keeps a uniform 0.01 offset.
    const scores = await validateWith(async (x) => ({ pred: x.slice(), loss: 0 }), set, 'gray');
    const offset = measure(
      'gray',
      { channels: 1, height: s, width: s, data: input.slice(s * s) },
      { channels: 1, height: s, width: s, data: target.slice(s * s) },
    ).psnr;
    expect(Number.isFinite(scores.psnr)).toBe(true);
    expect(scores.psnr).toBeCloseTo((VALIDATION_PSNR_CAP + offset) / 2, 6);
    expect(JSON.parse(JSON.stringify(scores)).psnr).toBe(scores.psnr);
  });
});
