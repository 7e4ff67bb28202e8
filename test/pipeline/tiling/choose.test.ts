/** Tile size from memory: whole image when it fits, else the largest tile each worker's share holds. */
import { describe, expect, it } from 'vitest';
import { activationFloatsPerPixel, bytesPerPixel } from '../../../src/models/graph/memory.ts';
import { allNetworks, getNetwork } from '../../../src/models/networks/index.ts';
import { chooseTile, TILE_MEMORY_CAP, WHOLE_MEMORY_CAP } from '../../../src/pipeline/tiling/choose.ts';

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
    expect((c.tile + 1) ** 2 * base.bytesPerPixel * 2).toBeGreaterThan(TILE_MEMORY_CAP * 0.98);
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
