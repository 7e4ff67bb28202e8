/** Tile size from memory: whole image when it fits, else the tile within each worker's share that computes least. */
import { describe, expect, it } from 'vitest';
import { activationFloatsPerPixel, bytesPerPixel } from '../../../src/models/graph/memory.ts';
import { allNetworks, getNetwork } from '../../../src/models/networks/index.ts';
import {
  chooseTile,
  computedPixels,
  GPU_ASSUMED_FREE,
  TILE_MEMORY_CAP,
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

  it('tiles a 24-MP photo within the tile memory cap, shared by the workers', () => {
    const c = chooseTile({ ...base, width: 6000, height: 4000, freeBytes: 8 * GB });
    expect(c.whole).toBe(false);
    expect(c.tile * c.tile * base.bytesPerPixel * 2).toBeLessThanOrEqual(TILE_MEMORY_CAP);
    expect(c.tile).toBeGreaterThan(400);
  });

  it('takes the tile within the cap that computes the fewest pixels, not merely the largest', () => {
    const photo = { ...base, width: 8660, height: 5774, freeBytes: 8 * GB }; // 50 MP
    const c = chooseTile(photo);
    const largest = Math.floor(Math.sqrt(TILE_MEMORY_CAP / 2 / base.bytesPerPixel));
    expect(c.tile).toBeLessThan(largest);
    for (let t = 300; t <= largest; t++)
      expect(computedPixels(photo, c.tile), `tile ${t}`).toBeLessThanOrEqual(computedPixels(photo, t));
    // Fewer pixels with as many tiles or a few more: 93.3 MP here against 96.2 for the largest.
    expect(computedPixels(photo, c.tile)).toBeLessThan(0.98 * computedPixels(photo, largest));
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
      reason: '--tile',
    });
    const side = Math.ceil(Math.sqrt(WHOLE_MEMORY_CAP / base.bytesPerPixel)) + 8;
    expect(chooseTile({ ...base, width: side, height: side, freeBytes: 64 * GB }).whole).toBe(false);
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

  it('keeps CPU workers under the fixed caps, whatever RAM is free', () => {
    expect(tileBudget({ kind: 'cpu', freeBytes: 64 * GB })).toMatchObject({
      freeBytes: 64 * GB,
      tileCap: TILE_MEMORY_CAP,
      wholeCap: WHOLE_MEMORY_CAP,
    });
    expect(choose({ kind: 'cpu', freeBytes: 64 * GB }, 2)).toEqual(
      chooseTile({ ...photo, workers: 2, freeBytes: 64 * GB }),
    );
  });

  it('runs a 24-MP photo whole on a GPU that reports enough free memory', () => {
    const c = choose({ kind: 'gpu', freeBytes: 100 * GB }, 1);
    expect(c.whole).toBe(true);
    expect(c.reason).toMatch(/free on the GPU$/);
  });

  it('sizes GPU tiles from the free memory reported, beyond the CPU cap', () => {
    const cpu = choose({ kind: 'cpu', freeBytes: 100 * GB }, 2);
    const small = choose({ kind: 'gpu', freeBytes: 3 * GB }, 2);
    const large = choose({ kind: 'gpu', freeBytes: 12 * GB }, 2);
    expect(small.whole || large.whole).toBe(false);
    expect(small.tile).toBeGreaterThan(cpu.tile);
    expect(large.tile).toBeGreaterThan(small.tile);
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
