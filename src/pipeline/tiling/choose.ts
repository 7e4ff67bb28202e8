/**
 * Tile size from memory (pure): a network needs `bytesPerPixel` per input pixel while it runs
 * (its peak live activations, models/graph/memory.ts, times the engine's slack). The whole image
 * runs as one tile, on one worker with every thread, when it fits `wholeBytes`; otherwise the
 * tile memory budget is shared by the workers and each tile is the largest square that fits its
 * share. `--tile` overrides the size; the overlap stays the plugin's (the receptive radius).
 */
export interface TileChoiceInput {
  readonly width: number;
  readonly height: number;
  readonly sizeMultiple: number;
  readonly bytesPerPixel: number;
  readonly overlap: number;
  readonly workers: number;
  /** Memory free for tiles now (free RAM for CPU engines, device memory for GPU ones). */
  readonly freeBytes: number;
  /** A user's --tile. */
  readonly tile?: number;
}

export interface TileChoice {
  readonly tile: number;
  /** The image runs as one tile (one worker, all threads). */
  readonly whole: boolean;
  /** Why, in words, for the run summary. */
  readonly reason: string;
}

/** Tiles of all workers together stay within this (and half the free memory). */
export const TILE_MEMORY_CAP = 512 * 2 ** 20;
/** A whole image runs as one tile up to this much memory. */
export const WHOLE_MEMORY_CAP = 1024 * 2 ** 20;
export const MAX_CHOSEN_TILE = 4096;

const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;

export function chooseTile(o: TileChoiceInput): TileChoice {
  const m = o.sizeMultiple;
  const side = (v: number) => Math.ceil(v / m) * m;
  if (o.tile !== undefined) {
    const whole = o.width <= o.tile && o.height <= o.tile;
    return { tile: o.tile, whole, reason: '--tile' };
  }
  const usable = o.freeBytes / 2;
  const wholeBytes = side(o.width) * side(o.height) * o.bytesPerPixel;
  if (wholeBytes <= Math.min(usable, WHOLE_MEMORY_CAP)) {
    return {
      tile: Math.max(side(o.width), side(o.height)),
      whole: true,
      reason: `whole image, ${mb(wholeBytes)} of ${mb(o.freeBytes)} free`,
    };
  }
  const share = Math.min(usable, TILE_MEMORY_CAP) / Math.max(1, o.workers);
  const fit = Math.floor(Math.sqrt(share / o.bytesPerPixel) / m) * m;
  // A tile must own pixels beyond its two overlaps to make progress at all.
  const floor = Math.ceil((2 * o.overlap + Math.max(8, 4 * m) + 64) / m) * m;
  const tile = Math.min(MAX_CHOSEN_TILE, Math.max(floor, fit));
  return {
    tile,
    whole: false,
    reason: `${mb(tile * tile * o.bytesPerPixel)} a tile × ${o.workers} worker${o.workers === 1 ? '' : 's'}, ${mb(o.freeBytes)} free`,
  };
}
