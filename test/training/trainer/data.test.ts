import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import { gaussianNoise } from '../../../src/plugins/denoise/gaussian-noise.ts';
import { type BatchSpec, makeShard } from '../../../src/training/data/batches.ts';
import { loadTrainingImages, matchPairs, type TrainingImages } from '../../../src/training/data/images.ts';
import { extractCrop } from '../../../src/training/data/patches.ts';
import { type Degradation, registerDegradation } from '../../../src/training/degradations/index.ts';
import { shardRanges } from '../../../src/training/workers.ts';
import { writeScenes } from './images.ts';

// The trainer knows degradations only by key; the denoise plugin normally registers this one.
registerDegradation('denoise-gray', gaussianNoise as Degradation<unknown>);

let dir: string;
let images: TrainingImages;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-train-data-'));
  await writeScenes(join(dir, 'clean'), 4, 96, 80);
  images = await loadTrainingImages({ data: join(dir, 'clean'), channels: 1 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pairs', () => {
  it('matches by name without extension', () => {
    expect(matchPairs(['a.png', 'b.jpg'], ['b.png', 'a.webp'])).toEqual([
      ['a.png', 'a.webp'],
      ['b.jpg', 'b.png'],
    ]);
  });

  it('lists the unmatched files of both folders', () => {
    let err: unknown;
    try {
      matchPairs(['a.png', 'b.png', 'c.png'], ['a.png', 'x.png']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DurnUserError);
    expect((err as DurnUserError).message).toMatch(
      /2 clean image\(s\) without a degraded partner: b\.png, c\.png/,
    );
    expect((err as DurnUserError).message).toMatch(/1 degraded image\(s\) without a clean partner: x\.png/);
  });

  it('refuses pairs of different sizes, naming them', async () => {
    const pairs = join(dir, 'pairs');
    await writeScenes(pairs, 4, 96, 80);
    await sharp({ create: { width: 90, height: 80, channels: 3, background: '#808080' } })
      .png()
      .toFile(join(pairs, 'scene-02.png'));
    await expect(loadTrainingImages({ data: join(dir, 'clean'), pairs, channels: 3 })).rejects.toThrow(
      /scene-02\.png 96×80 vs scene-02\.png 90×80/,
    );
  });

  it('reports a folder without images', async () => {
    await expect(loadTrainingImages({ data: join(dir, 'nothing-here'), channels: 1 })).rejects.toThrow(
      /Cannot read the image folder/,
    );
  });
});

describe('decoding and crops', () => {
  it('decodes every image once into one shared 8-bit buffer', async () => {
    expect(images.clean.pixels).toBeInstanceOf(SharedArrayBuffer);
    expect(images.clean.images.map((i) => [i.width, i.height])).toEqual(Array(4).fill([96, 80]));
    expect(images.clean.pixels.byteLength).toBe(4 * 96 * 80);
    const ref = await sharp(join(dir, 'clean', 'scene-01.png'))
      .grayscale()
      .raw()
      .toBuffer();
    const info = images.clean.images[1]!;
    expect(Buffer.from(images.clean.pixels, info.offset, 96 * 80).equals(ref)).toBe(true);
  });

  it('the 8 flips and rotations of a crop are distinct permutations of the same pixels', () => {
    const crops = Array.from({ length: 8 }, (_, t) =>
      extractCrop(images.clean, { image: 2, top: 10, left: 20, size: 24, rotate: t & 3, flip: t >= 4 }),
    );
    const sorted = (d: Float32Array) => Array.from(d).sort((a, b) => a - b);
    const keys = new Set(crops.map((c) => Array.from(c.data).join(',')));
    expect(keys.size).toBe(8);
    for (const c of crops) expect(sorted(c.data)).toEqual(sorted(crops[0]!.data));
    // A quarter turn brings the top-right pixel to the top-left; a mirror the top-left to the top-right.
    expect(crops[1]!.data[0]).toBe(crops[0]!.data[23]);
    expect(crops[4]!.data[23]).toBe(crops[0]!.data[0]);
  });
});

describe('batches', () => {
  const spec: BatchSpec = {
    seed: 3,
    batch: 4,
    patch: 32,
    margin: 0,
    channels: 1,
    degradation: 'denoise-gray',
    degradationOptions: { sigma: [50] },
  };

  it('depend only on (seed, step): equal when repeated, independent of how they are split', () => {
    const whole = makeShard(images, spec, 5, 0, 4);
    const again = makeShard(images, spec, 5, 0, 4);
    expect(again.input).toEqual(whole.input);
    const a = makeShard(images, spec, 5, 0, 2);
    const b = makeShard(images, spec, 5, 2, 4);
    expect(Float32Array.of(...a.input, ...b.input)).toEqual(whole.input);
    expect(Float32Array.of(...a.target, ...b.target)).toEqual(whole.target);
  });

  it('differ between steps and seeds', () => {
    const base = makeShard(images, spec, 5, 0, 4).input;
    expect(makeShard(images, spec, 6, 0, 4).input).not.toEqual(base);
    expect(makeShard(images, { ...spec, seed: 4 }, 5, 0, 4).input).not.toEqual(base);
  });

  it('add Gaussian noise of the requested σ to the clean targets', () => {
    const s = makeShard(images, { ...spec, batch: 16 }, 0, 0, 16);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < s.input.length; i++) {
      const d = s.input[i]! - s.target[i]!;
      sum += d;
      sq += d * d;
    }
    const n = s.input.length;
    expect(Math.sqrt(sq / n - (sum / n) ** 2) * 255).toBeCloseTo(50, 0);
    expect(s.shape).toEqual([16, 32, 32, 1]);
  });

  it('split evenly across workers', () => {
    expect(shardRanges(8, 2)).toEqual([
      [0, 4],
      [4, 8],
    ]);
    expect(shardRanges(5, 3)).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    expect(shardRanges(2, 4)).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('with real pairs, cut the same crop and transform from both images', async () => {
    const negated = join(dir, 'negated');
    await mkdir(negated, { recursive: true });
    for (const name of await readdir(join(dir, 'clean'))) {
      await sharp(join(dir, 'clean', name))
        .grayscale()
        .negate()
        .png()
        .toFile(join(negated, name));
    }
    const pairs = await loadTrainingImages({ data: join(dir, 'clean'), pairs: negated, channels: 1 });
    const s = makeShard(pairs, spec, 2, 0, 4);
    // A negated partner makes input + target exactly 1 wherever the crops coincide.
    for (let i = 0; i < s.input.length; i++) expect(s.input[i]! + s.target[i]!).toBeCloseTo(1, 6);
    expect(new Set(s.target).size).toBeGreaterThan(10);
  });
});
