import { describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import { blendFor, planInputFor, planTiles, type TilePlan } from '../../../src/pipeline/tiling/plan.ts';

function checkPlan(plan: TilePlan, requestedOverlap: number): void {
  const { width: W, height: H } = plan;
  const owners = new Uint16Array(W * H);
  for (const t of plan.tiles) {
    const { input: i, core: c, output: o } = t;
    // every rectangle within the image, and core ⊆ output ⊆ input
    expect(i.x).toBeGreaterThanOrEqual(0);
    expect(i.y).toBeGreaterThanOrEqual(0);
    expect(i.x + i.width).toBeLessThanOrEqual(W);
    expect(i.y + i.height).toBeLessThanOrEqual(H);
    expect(o.x).toBeGreaterThanOrEqual(i.x);
    expect(o.x + o.width).toBeLessThanOrEqual(i.x + i.width);
    expect(o.y).toBeGreaterThanOrEqual(i.y);
    expect(o.y + o.height).toBeLessThanOrEqual(i.y + i.height);
    expect(c.x).toBeGreaterThanOrEqual(o.x);
    expect(c.x + c.width).toBeLessThanOrEqual(o.x + o.width);
    // input at most one tile a side; padded sides legal for the network
    expect(i.width).toBeLessThanOrEqual(plan.tile);
    expect(i.height).toBeLessThanOrEqual(plan.tile);
    expect(t.paddedWidth % plan.multiple).toBe(0);
    expect(t.paddedHeight % plan.multiple).toBe(0);
    expect(t.paddedWidth).toBeGreaterThanOrEqual(plan.minSide);
    expect(t.paddedHeight).toBeGreaterThanOrEqual(plan.minSide);
    expect(t.paddedWidth).toBe(i.width + t.pads.left + t.pads.right);
    expect(t.paddedHeight).toBe(i.height + t.pads.top + t.pads.bottom);
    // context ≥ overlap on every side that is not the image border
    if (c.x > 0) expect(c.x - i.x).toBeGreaterThanOrEqual(requestedOverlap);
    if (c.y > 0) expect(c.y - i.y).toBeGreaterThanOrEqual(requestedOverlap);
    if (c.x + c.width < W) expect(i.x + i.width - (c.x + c.width)).toBeGreaterThanOrEqual(requestedOverlap);
    if (c.y + c.height < H)
      expect(i.y + i.height - (c.y + c.height)).toBeGreaterThanOrEqual(requestedOverlap);
    // origins on the network's sampling grid
    expect(i.x % plan.multiple).toBe(0);
    for (let y = c.y; y < c.y + c.height; y++) for (let x = c.x; x < c.x + c.width; x++) owners[y * W + x]!++;
  }
  // cores partition the image: every pixel owned exactly once
  expect(owners.every((n) => n === 1)).toBe(true);
  expect(plan.tiles.length).toBe(plan.rows * plan.cols);
}

describe('planTiles', () => {
  const cases = [
    { width: 1000, height: 700, tile: 512, overlap: 72, multiple: 1, minSide: 16 },
    { width: 3001, height: 2003, tile: 512, overlap: 72, multiple: 4, minSide: 16 },
    { width: 1031, height: 517, tile: 256, overlap: 40, multiple: 4, minSide: 12 },
    { width: 513, height: 512, tile: 512, overlap: 100, multiple: 4, minSide: 16 },
    { width: 4000, height: 37, tile: 128, overlap: 50, multiple: 4, minSide: 16 },
    { width: 777, height: 999, tile: 100, overlap: 0, multiple: 1, minSide: 16 },
  ];
  for (const c of cases) {
    it(`covers ${c.width}×${c.height} with tile ${c.tile}, overlap ${c.overlap}, multiple ${c.multiple}`, () => {
      const plan = planTiles(c);
      checkPlan(plan, c.overlap);
      expect(plan.tiles.length).toBeGreaterThan(1);
    });
  }

  it('uses one tile for an image no larger than a tile, padded to the multiple', () => {
    const plan = planTiles({ width: 301, height: 203, tile: 512, overlap: 72, multiple: 4, minSide: 16 });
    expect(plan.tiles).toHaveLength(1);
    const t = plan.tiles[0]!;
    expect(t.input).toEqual({ x: 0, y: 0, width: 301, height: 203 });
    expect(t.core).toEqual(t.input);
    expect([t.paddedWidth, t.paddedHeight]).toEqual([304, 204]);
    expect(t.pads).toEqual({ top: 0, left: 0, right: 3, bottom: 1 });
  });

  it('pads tiny images and 1-pixel strips up to the minimum side', () => {
    for (const [w, h] of [
      [1, 1],
      [1, 5000],
      [3, 2],
    ] as const) {
      const plan = planTiles({ width: w, height: h, tile: 512, overlap: 72, multiple: 4, minSide: 16 });
      checkPlan(plan, 72);
      for (const t of plan.tiles) {
        expect(t.paddedWidth).toBe(16);
        expect(t.input.width).toBe(w);
      }
    }
  });

  it('gives every tile along an axis the same padded shape when the image is a multiple', () => {
    const plan = planTiles({ width: 2048, height: 1536, tile: 512, overlap: 64, multiple: 4, minSide: 16 });
    expect(new Set(plan.tiles.map((t) => `${t.paddedWidth}x${t.paddedHeight}`))).toEqual(
      new Set(['512x512']),
    );
  });

  it('caps the blend so a tile’s two cross-fades never meet', () => {
    const plan = planTiles({
      width: 700,
      height: 64,
      tile: 256,
      overlap: 100,
      blend: 100,
      multiple: 1,
      minSide: 1,
    });
    for (let i = 1; i + 2 < plan.x.cuts.length; i++) {
      expect(plan.x.cuts[i + 1]! - plan.x.cuts[i]!).toBeGreaterThanOrEqual(2 * plan.blend);
    }
    expect(plan.blend).toBeLessThanOrEqual(100);
  });

  it('rejects settings that leave a tile nothing to own', () => {
    const base = { width: 1000, height: 1000, multiple: 1, minSide: 16 };
    expect(() => planTiles({ ...base, tile: 512, overlap: 300 })).toThrow(/overlap \(with tile 512\)/);
    expect(() => planTiles({ ...base, tile: 8, overlap: 0 })).toThrow(DurnUserError);
    expect(() => planTiles({ ...base, width: 0, tile: 512, overlap: 0 })).toThrow(
      /Expected an integer between 1 and \d+ for the image width but received 0/,
    );
    expect(() => planTiles({ ...base, tile: 512, overlap: 10, blend: 20 })).toThrow(/for blend/);
  });
});

describe('blendFor', () => {
  it('keeps cross-fades inside exact pixels for local networks, halves the overlap otherwise', () => {
    expect(blendFor({ receptiveRadius: 70, globalStatistics: false }, 72)).toBe(2);
    expect(blendFor({ receptiveRadius: 70, globalStatistics: false }, 40)).toBe(20);
    expect(blendFor({ receptiveRadius: 104, globalStatistics: true }, 112)).toBe(56);
    const input = planInputFor(
      { receptiveRadius: 1, globalStatistics: false, sizeMultiple: 4, minSide: 8 },
      { width: 10, height: 20 },
      { tile: 64, overlap: 4 },
    );
    expect(input).toEqual({ width: 10, height: 20, tile: 64, overlap: 4, blend: 3, multiple: 4, minSide: 8 });
  });
});
