/** Tile size from memory: whole image when it fits, else the tile within each worker's share that computes least. */
import { describe, expect, it } from 'vitest';
import { activationFloatsPerPixel, bytesPerPixel } from '../../../src/models/graph/memory.ts';
import { allNetworks, getNetwork } from '../../../src/models/networks/index.ts';
import {
  chooseTile,
  computedPixels,
  cpuTileCap,
  GPU_ASSUMED_FREE,
  TILE_MEMORY_MAX,
  TILE_MEMORY_MIN,
  tileBudget,
  WHOLE_MEMORY_CAP,
} from '../../../src/pipeline/tiling/choose.ts';

const GB = 2 ** 30;

describe('activation memory per pixel', () => {
  it('counts at least the widest layer with its input, and more for the wider networks', () => {
    for (const n of allNetworks()) {
      const floats = activationFloatsPerPixel(n.graph);
      expect(floats, n.id).toBeGreaterThan(n.graph.inChannels + 32);
      expect(floats, n.id).toBeLessThan(1000);
    }
    // DuRN-S (64 channels, SE) holds more than DuRN-P (32 channels) per pixel.
    expect(activationFloatsPerPixel(getNetwork('durn-s').graph)).toBeGreaterThan(
      activationFloatsPerPixel(getNetwork('durn-p').graph),
    );
  });
});

describe('chooseTile', () => {
  const p = getNetwork('durn-p');
  const base = { sizeMultiple: 1, bytesPerPixel: bytesPerPixel(p.graph), overlap: 72, workers: 2 };

  it('runs a 1-MP photo whole when memory allows', () => {
    const c = chooseTile({ ...base, width: 1024, height: 1024, freeBytes: 8 * GB });
    expect(c.whole).toBe(true);
    expect(c.tile).toBe(1024);
    expect(c.reason).toMatch(/^whole image/);
  });

  it('tiles a 24-MP photo within the tile memory, a quarter of what is free', () => {
    const c = chooseTile({ ...base, width: 6000, height: 4000, freeBytes: 8 * GB });
    expect(c.whole).toBe(false);
    expect(c.tile * c.tile * base.bytesPerPixel * c.lanes).toBeLessThanOrEqual(2 * GB);
    expect(c.tile).toBeGreaterThan(1000);
    expect(c.reason).toMatch(/a tile × \d at a time/);
  });

  it('takes the tile within its share that computes the fewest pixels, not merely the largest', () => {
    const budget = tileBudget({ kind: 'cpu', freeBytes: 8 * GB }, TILE_MEMORY_MIN);
    const photo = { ...base, width: 8660, height: 5774, freeBytes: budget.freeBytes, budget }; // 50 MP
    const c = chooseTile(photo);
    const largest = Math.floor(Math.sqrt(TILE_MEMORY_MIN / c.lanes / base.bytesPerPixel));
    expect(c.tile).toBeLessThan(largest);
    for (let t = 300; t <= largest; t++)
      expect(computedPixels(photo, c.tile), `tile ${t}`).toBeLessThanOrEqual(computedPixels(photo, t));
    expect(computedPixels(photo, c.tile)).toBeLessThan(0.99 * computedPixels(photo, largest));
  });

  it('runs fewer, larger tiles with more threads each when that computes fewer pixels a thread', () => {
    // 448 MB, 2 cores: one 695-px tile with 2 threads (1.55× the photo's pixels) against two
    // 535-px tiles with 1 thread each (1.79×); the 5 % intra-op loss does not outweigh it.
    const budget = tileBudget({ kind: 'cpu', freeBytes: 8 * GB }, TILE_MEMORY_MIN);
    const photo = { ...base, width: 6000, height: 4000, freeBytes: budget.freeBytes, budget, threads: 2 };
    const c = chooseTile(photo);
    expect(c).toMatchObject({ lanes: 1, threads: 2, whole: false });
    expect(c.reason).toMatch(/× 1 at a time \(2 threads each\)/);
    const two = Math.floor(Math.sqrt(TILE_MEMORY_MIN / 2 / base.bytesPerPixel));
    expect(computedPixels(photo, c.tile)).toBeLessThan(0.9 * computedPixels(photo, two));
    // Where both fit tiles as large, every worker keeps its own tile and thread.
    const roomy = chooseTile({ ...photo, budget: tileBudget({ kind: 'cpu', freeBytes: 64 * GB }) });
    expect(roomy.lanes).toBe(2);
    expect(roomy.threads).toBeUndefined();
    // 16 workers on 16 cores do not cut 448 MB into sixteen 190-px tiles.
    const many = chooseTile({ ...photo, workers: 16, threads: 16 });
    expect(many.lanes).toBeLessThan(16);
    expect(many.tile).toBeGreaterThan(300);
  });

  it('counts the pixels a plan computes, context and padding included', () => {
    // 1000 px with tile 400, overlap 50: three tiles of 400 on each axis.
    expect(computedPixels({ width: 1000, height: 1000, overlap: 50, sizeMultiple: 1 }, 400)).toBe(
      1200 * 1200,
    );
    // A side shorter than the minimum is padded up to it.
    expect(computedPixels({ width: 10, height: 10, overlap: 0, sizeMultiple: 4, minSide: 16 }, 64)).toBe(256);
  });

  it('shrinks tiles when free memory is short, never below what the overlap needs', () => {
    const roomy = chooseTile({ ...base, width: 6000, height: 4000, freeBytes: 8 * GB });
    const tight = chooseTile({ ...base, width: 6000, height: 4000, freeBytes: 0.25 * GB });
    expect(tight.tile).toBeLessThan(roomy.tile);
    const starved = chooseTile({ ...base, width: 6000, height: 4000, freeBytes: 1 });
    expect(starved.tile).toBeGreaterThanOrEqual(2 * 72 + 64);
  });

  it('honours --tile, and the whole image never exceeds the whole-image cap', () => {
    expect(chooseTile({ ...base, width: 6000, height: 4000, freeBytes: 8 * GB, tile: 300 })).toEqual({
      tile: 300,
      whole: false,
      lanes: 2,
      reason: '--tile',
    });
    const budget = tileBudget({ kind: 'cpu', freeBytes: 64 * GB });
    const side = Math.ceil(Math.sqrt(budget.wholeCap / base.bytesPerPixel)) + 8;
    expect(chooseTile({ ...base, width: side, height: side, freeBytes: 64 * GB }).whole).toBe(false);
    expect(chooseTile({ ...base, width: side - 16, height: side - 16, freeBytes: 64 * GB }).whole).toBe(true);
  });
});

describe('tileBudget (CPU RAM or GPU memory)', () => {
  const p = getNetwork('durn-p');
  const photo = {
    width: 6000,
    height: 4000,
    sizeMultiple: 1,
    bytesPerPixel: bytesPerPixel(p.graph),
    overlap: 72,
  };
  const choose = (m: Parameters<typeof tileBudget>[0], workers: number) => {
    const budget = tileBudget(m);
    return chooseTile({ ...photo, workers, freeBytes: budget.freeBytes, budget });
  };

  it("gives CPU tiles a quarter of the free RAM within bounds, or exactly the user's --tile-memory", () => {
    expect(cpuTileCap(64 * GB)).toBe(TILE_MEMORY_MAX);
    expect(cpuTileCap(4 * GB)).toBe(GB);
    expect(cpuTileCap(0.5 * GB)).toBe(TILE_MEMORY_MIN);
    expect(tileBudget({ kind: 'cpu', freeBytes: 64 * GB })).toMatchObject({
      freeBytes: 64 * GB,
      tileCap: TILE_MEMORY_MAX,
      wholeCap: TILE_MEMORY_MAX,
    });
    expect(tileBudget({ kind: 'cpu', freeBytes: 2 * GB })).toMatchObject({ wholeCap: WHOLE_MEMORY_CAP });
    // The user's memory bounds tiles and whole images, and is not halved again by chooseTile.
    const mine = tileBudget({ kind: 'cpu', freeBytes: 0.5 * GB }, 300 * 2 ** 20);
    expect(mine).toMatchObject({ tileCap: 300 * 2 ** 20, wholeCap: 300 * 2 ** 20, freeBytes: 600 * 2 ** 20 });
    const c = chooseTile({ ...photo, workers: 2, freeBytes: mine.freeBytes, budget: mine });
    expect(c.tile ** 2 * photo.bytesPerPixel * c.lanes).toBeLessThanOrEqual(300 * 2 ** 20);
    expect(c.reason).toMatch(/--tile-memory/);
    expect(choose({ kind: 'cpu', freeBytes: 64 * GB }, 2)).toEqual(
      chooseTile({ ...photo, workers: 2, freeBytes: 64 * GB }),
    );
  });

  it('runs a 24-MP photo whole on a GPU that reports enough free memory', () => {
    const c = choose({ kind: 'gpu', freeBytes: 100 * GB }, 1);
    expect(c.whole).toBe(true);
    expect(c.reason).toMatch(/free on the GPU$/);
  });

  it('sizes GPU tiles from the free memory reported, one a worker', () => {
    const cpu = choose({ kind: 'cpu', freeBytes: 2 * GB }, 2);
    const small = choose({ kind: 'gpu', freeBytes: 3 * GB }, 2);
    const large = choose({ kind: 'gpu', freeBytes: 12 * GB }, 2);
    expect(small.whole || large.whole).toBe(false);
    expect(small.tile).toBeGreaterThan(cpu.tile);
    expect(large.tile).toBeGreaterThan(small.tile);
    expect(large.lanes).toBe(2);
    // Half the free memory, shared by the workers.
    expect(large.tile ** 2 * photo.bytesPerPixel * 2).toBeLessThanOrEqual(6 * GB);
  });

  it('takes a conservative amount when the GPU engine cannot say (ONNX Runtime CUDA)', () => {
    const budget = tileBudget({ kind: 'gpu' });
    expect(budget.freeBytes).toBe(GPU_ASSUMED_FREE);
    expect(budget.where).toMatch(/taken as free/);
    const c = choose({ kind: 'gpu' }, 2);
    expect(c.whole).toBe(false);
    expect(c.tile ** 2 * photo.bytesPerPixel * 2).toBeLessThanOrEqual(GPU_ASSUMED_FREE / 2);
    expect(c.reason).toMatch(/taken as free on the GPU/);
  });
});
