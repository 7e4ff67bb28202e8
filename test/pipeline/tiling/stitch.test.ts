import { describe, expect, it } from 'vitest';
import type { ImageTensor } from '../../../src/models/engines/types.ts';
import { blendFor, planTiles, type TilePlanInput } from '../../../src/pipeline/tiling/plan.ts';
import { featherWeights, Stitcher } from '../../../src/pipeline/tiling/stitch.ts';
import { cropTile, padReflect, reflectIndex, tileInput, unpad } from '../../../src/pipeline/tiling/tensor.ts';

function randomImage(channels: number, height: number, width: number, seed = 1): ImageTensor {
  let s = seed;
  const data = new Float32Array(channels * height * width);
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648;
  }
  return { data, channels, height, width };
}

/** A 3×3 box filter with reflection at the border: a "network" of receptive radius 1. */
function boxFilter(img: ImageTensor): ImageTensor {
  const { channels: C, height: H, width: W } = img;
  const out = new Float32Array(img.data.length);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let sum = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            sum += img.data[c * H * W + reflectIndex(y + dy, H) * W + reflectIndex(x + dx, W)]!;
          }
        }
        out[c * H * W + y * W + x] = sum / 9;
      }
    }
  }
  return { data: out, channels: C, height: H, width: W };
}

function runTiled(
  image: ImageTensor,
  input: TilePlanInput,
  net: (t: ImageTensor) => ImageTensor,
  stream = false,
): ImageTensor {
  const plan = planTiles(input);
  const rows: { y: number; t: ImageTensor }[] = [];
  const stitcher = new Stitcher(
    plan,
    image.channels,
    stream ? { onRows: (t, y) => rows.push({ t, y }) } : {},
  );
  for (const tile of plan.tiles) {
    const x = tileInput(image, tile);
    expect(x.width % input.multiple).toBe(0);
    stitcher.add(tile, net(x));
  }
  const whole = stitcher.finish();
  if (!stream) return whole!;
  // reassemble the streamed rows
  const data = new Float32Array(image.data.length);
  let next = 0;
  for (const { y, t } of rows) {
    expect(y).toBe(next);
    for (let c = 0; c < t.channels; c++) {
      data.set(
        t.data.subarray(c * t.height * t.width, (c + 1) * t.height * t.width),
        (c * image.height + y) * image.width,
      );
    }
    next += t.height;
  }
  expect(next).toBe(image.height);
  return { data, channels: image.channels, height: image.height, width: image.width };
}

function maxDiff(a: ImageTensor, b: ImageTensor): number {
  expect([a.channels, a.height, a.width]).toEqual([b.channels, b.height, b.width]);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

describe('feather weights', () => {
  for (const input of [
    { width: 333, height: 250, tile: 96, overlap: 20, multiple: 4, minSide: 16 },
    { width: 900, height: 130, tile: 128, overlap: 40, blend: 40, multiple: 1, minSide: 16 },
  ]) {
    it(`sum to 1 at every pixel (${input.width}×${input.height})`, () => {
      const plan = planTiles(input);
      expect(plan.blend).toBeGreaterThan(0);
      const sum = new Float64Array(plan.width * plan.height);
      for (const t of plan.tiles) {
        const w = featherWeights(t, plan);
        const o = t.output;
        for (let r = 0; r < o.height; r++) {
          for (let c = 0; c < o.width; c++) sum[(o.y + r) * plan.width + o.x + c]! += w[r * o.width + c]!;
        }
      }
      expect(sum.reduce((m, s) => Math.max(m, Math.abs(s - 1)), 0)).toBeLessThan(1e-6);
    });
  }

  it('is 1 on the core away from cuts and at the image border, and ramps in the blend band', () => {
    const plan = planTiles({
      width: 200,
      height: 50,
      tile: 128,
      overlap: 20,
      blend: 10,
      multiple: 1,
      minSide: 1,
    });
    const first = plan.tiles[0]!;
    const w = featherWeights(first, plan);
    const cut = plan.x.cuts[1]!;
    expect(w[0]).toBe(1); // image border: no ramp
    expect(w[cut - 11]).toBe(1);
    expect(w[cut - 10]).toBeLessThan(1);
    expect(w[cut + 9]).toBeGreaterThan(0);
    expect(first.output.width).toBe(cut + 10);
  });
});

describe('tiled inference equals whole-image inference', () => {
  const image = randomImage(3, 203, 317, 7);

  it('for an identity network, with padding to a multiple of 4', () => {
    const input = { width: 317, height: 203, tile: 64, overlap: 8, multiple: 4, minSide: 16 };
    expect(
      maxDiff(
        runTiled(image, input, (t) => t),
        image,
      ),
    ).toBeLessThan(1e-6);
  });

  it('for a 3×3 box filter (radius 1), whole and streamed', () => {
    const input = {
      width: 317,
      height: 203,
      tile: 48,
      overlap: 3,
      blend: blendFor({ receptiveRadius: 1, globalStatistics: false }, 3),
      multiple: 1,
      minSide: 1,
    };
    const whole = boxFilter(image);
    expect(planTiles(input).tiles.length).toBeGreaterThan(20);
    expect(maxDiff(runTiled(image, input, boxFilter), whole)).toBeLessThan(1e-6);
    expect(maxDiff(runTiled(image, input, boxFilter, true), whole)).toBeLessThan(1e-6);
  });

  it('but not when tiles share no context (the check can fail)', () => {
    // 288×192 is exactly 6×4 tiles of 48: with overlap 0 they abut, so edges see reflections.
    const small = cropTile(image, { x: 0, y: 0, width: 288, height: 192 });
    const input = { width: 288, height: 192, tile: 48, overlap: 0, multiple: 1, minSide: 1 };
    expect(planTiles(input).tiles).toHaveLength(24);
    expect(maxDiff(runTiled(small, input, boxFilter), boxFilter(small))).toBeGreaterThan(1e-3);
  });
});

describe('tensor helpers', () => {
  const img: ImageTensor = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), channels: 1, height: 2, width: 3 };

  it('pads by reflection without repeating the edge, and unpad undoes it', () => {
    const p = padReflect(img, { top: 1, bottom: 0, left: 2, right: 1 });
    expect([p.height, p.width]).toEqual([3, 6]);
    expect(Array.from(p.data)).toEqual([6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5]);
    expect(Array.from(unpad(p, { top: 1, bottom: 0, left: 2, right: 1 }).data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('pads a 1-pixel strip by repetition and folds pads larger than the side', () => {
    const strip: ImageTensor = { data: Float32Array.from([7, 8]), channels: 1, height: 2, width: 1 };
    expect(Array.from(padReflect(strip, { top: 0, bottom: 0, left: 0, right: 2 }).data)).toEqual([
      7, 7, 7, 8, 8, 8,
    ]);
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 3))).toEqual([0, 1, 2, 1, 0, 1, 2]);
    expect(reflectIndex(-1, 3)).toBe(1);
  });

  it('crops every channel', () => {
    const two: ImageTensor = {
      data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
      channels: 2,
      height: 2,
      width: 2,
    };
    expect(Array.from(cropTile(two, { x: 1, y: 0, width: 1, height: 2 }).data)).toEqual([2, 4, 6, 8]);
    expect(() => cropTile(two, { x: 1, y: 0, width: 2, height: 2 })).toThrow(/outside/);
  });
});
