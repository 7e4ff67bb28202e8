import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import { makeSampleSet } from '../../../src/pipeline/samples/sample-set.ts';
import { generateGrayScene, generateScene } from '../../../src/pipeline/samples/scenes.ts';
import { psnr } from '../../../src/training/metrics.ts';

function stats(d: Float32Array, w: number, h: number, c = 0) {
  const n = w * h;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += d[c * n + i]!;
  mean /= n;
  let v = 0;
  let edges = 0;
  for (let i = 0; i < n; i++) {
    v += (d[c * n + i]! - mean) ** 2;
    if (i % w) edges += (d[c * n + i]! - d[c * n + i - 1]!) ** 2;
  }
  return { mean, variance: v / n, edgeEnergy: edges / n };
}

describe('procedural scenes', () => {
  it('is deterministic per seed, different across seeds, and the requested size', () => {
    const a = generateScene({ width: 200, height: 150, seed: 4 });
    const b = generateScene({ width: 200, height: 150, seed: 4 });
    const c = generateScene({ width: 200, height: 150, seed: 5 });
    expect([a.channels, a.height, a.width]).toEqual([3, 150, 200]);
    expect(a.data).toEqual(b.data);
    expect(psnr(a, c)).toBeLessThan(20);
    const g = generateGrayScene({ width: 64, height: 48, seed: 4 });
    expect([g.channels, g.height, g.width]).toEqual([1, 48, 64]);
    expect(() => generateScene({ width: 8, height: 100 })).toThrow(DurnUserError);
  });

  it('has natural-image content: in range, varied, with edges and fine detail, bluer at the top', () => {
    for (const seed of [1, 2, 3]) {
      const img = generateScene({ width: 256, height: 192, seed });
      expect(img.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      const s = stats(img.data, 256, 192, 1);
      expect(s.variance).toBeGreaterThan(0.005);
      expect(s.edgeEnergy).toBeGreaterThan(5e-4);
      // Sky blue dominates the top rows; not one flat colour.
      const n = 256 * 192;
      let blue = 0;
      let red = 0;
      for (let i = 0; i < 256 * 10; i++) {
        blue += img.data[2 * n + i]!;
        red += img.data[i]!;
      }
      expect(blue).toBeGreaterThan(red);
    }
  });
});

describe('makeSampleSet', () => {
  it('writes the clean and degraded samples, byte-identical for the same seed', async () => {
    const d1 = await mkdtemp(join(tmpdir(), 'durn-samples-'));
    const d2 = await mkdtemp(join(tmpdir(), 'durn-samples-'));
    try {
      const files = await makeSampleSet(d1, { width: 160, height: 120, seed: 7 });
      await makeSampleSet(d2, { width: 160, height: 120, seed: 7 });
      expect(files.map((f) => f.task)).toEqual([
        'clean',
        'clean',
        'denoise-gray',
        'denoise-rgb',
        'deblur',
        'dehaze',
        'derain',
        'raindrop',
      ]);
      expect((await readdir(d1)).sort()).toEqual(files.map((f) => f.file).sort());
      for (const f of files) {
        const a = await readFile(join(d1, f.file));
        expect(a.equals(await readFile(join(d2, f.file)))).toBe(true);
        const meta = await sharp(a).metadata();
        expect([meta.width, meta.height]).toEqual([160, 120]);
        expect(meta.channels).toBe(f.file.includes('gray') ? 1 : 3);
      }
    } finally {
      await rm(d1, { recursive: true, force: true });
      await rm(d2, { recursive: true, force: true });
    }
  });
});
