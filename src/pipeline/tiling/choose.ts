/**
 * Tile size from memory (pure): a network needs `bytesPerPixel` per input pixel while it runs
 * (its peak live activations, models/graph/memory.ts, times the engine's slack). The whole image
 * runs as one tile, on one worker with every thread, when it fits `wholeBytes`; otherwise the
 * tile memory budget is shared by the workers, and each tile is the square within its share that
 * computes the fewest pixels for this image: tiles are spread evenly, so a tile a little smaller
 * than the largest that fits often covers the image with as many tiles, less context and less
 * memory. `--tile` overrides the size; the overlap stays the plugin's (the receptive radius).
 */
import { planAxis } from './plan.ts';

export interface TileChoiceInput {
  readonly width: number;
  readonly height: number;
  readonly sizeMultiple: number;
  /** The network's minimum side (tiles are padded up to it); default 1. */
  readonly minSide?: number;
  readonly bytesPerPixel: number;
  readonly overlap: number;
  readonly workers: number;
  /** Memory free for tiles now (free RAM for CPU engines, device memory for GPU ones). */
  readonly freeBytes: number;
  /** Caps and wording for where the tiles run (tileBudget); default: CPU workers in RAM. */
  readonly budget?: Pick<TileBudget, 'tileCap' | 'wholeCap' | 'where'>;
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

/**
 * Tiles of all workers together stay within this (and half the free memory). 448 MB rather than
 * 512: with the fewest-pixels choice a 50-MP photo computes as many pixels as 512 MB's largest
 * tile did (93 MP for DuRN-P), and the workers hold ~80 MB less.
 */
export const TILE_MEMORY_CAP = 448 * 2 ** 20;
/** A whole image runs as one tile up to this much memory. */
export const WHOLE_MEMORY_CAP = 1024 * 2 ** 20;
export const MAX_CHOSEN_TILE = 4096;
/**
 * GPU memory taken as free when the engine cannot say (ONNX Runtime's CUDA provider): small
 * enough for any CUDA card durn would run on, large enough for tiles of ~1,000 px.
 */
export const GPU_ASSUMED_FREE = 4 * 2 ** 30;

/** Where tiles run: CPU workers in RAM, or a GPU with its free memory when the engine reports it. */
export type TileMemory =
  | { readonly kind: 'cpu'; readonly freeBytes: number }
  | { readonly kind: 'gpu'; readonly freeBytes?: number };

export interface TileBudget {
  readonly freeBytes: number;
  /** Largest memory for all workers' tiles together. */
  readonly tileCap: number;
  /** Largest memory for a whole image run as one tile. */
  readonly wholeCap: number;
  /** How the free memory is named in the reason ("free", "free on the GPU"…). */
  readonly where: string;
}

const CPU_BUDGET = { tileCap: TILE_MEMORY_CAP, wholeCap: WHOLE_MEMORY_CAP, where: 'free' };

/**
 * The memory tiles may use. CPU workers: free RAM under the fixed caps (RAM is shared with the
 * rest of the machine, and bigger CPU tiles gain nothing). A GPU: half its free memory (chooseTile
 * keeps the other half for the engine's workspaces), no fixed cap: larger tiles and whole images
 * waste less on context, and the device has nothing else to hold.
 */
export function tileBudget(m: TileMemory): TileBudget {
  if (m.kind === 'cpu') return { freeBytes: m.freeBytes, ...CPU_BUDGET };
  const known = m.freeBytes !== undefined;
  return {
    freeBytes: m.freeBytes ?? GPU_ASSUMED_FREE,
    tileCap: Number.POSITIVE_INFINITY,
    wholeCap: Number.POSITIVE_INFINITY,
    where: known ? 'free on the GPU' : 'taken as free on the GPU (the engine does not say)',
  };
}

const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;

export function chooseTile(o: TileChoiceInput): TileChoice {
  const m = o.sizeMultiple;
  const side = (v: number) => Math.ceil(v / m) * m;
  if (o.tile !== undefined) {
    const whole = o.width <= o.tile && o.height <= o.tile;
    return { tile: o.tile, whole, reason: '--tile' };
  }
  const { tileCap, wholeCap, where } = o.budget ?? CPU_BUDGET;
  const usable = o.freeBytes / 2;
  const wholeBytes = side(o.width) * side(o.height) * o.bytesPerPixel;
  if (wholeBytes <= Math.min(usable, wholeCap)) {
    return {
      tile: Math.max(side(o.width), side(o.height)),
      whole: true,
      reason: `whole image, ${mb(wholeBytes)} of ${mb(o.freeBytes)} ${where}`,
    };
  }
  const share = Math.min(usable, tileCap) / Math.max(1, o.workers);
  const fit = Math.floor(Math.sqrt(share / o.bytesPerPixel) / m) * m;
  // A tile must own pixels beyond its two overlaps to make progress at all.
  const floor = Math.ceil((2 * o.overlap + Math.max(8, 4 * m) + 64) / m) * m;
  const largest = Math.min(MAX_CHOSEN_TILE, Math.max(floor, fit));
  const tile = fewestPixels(o, floor, largest);
  return {
    tile,
    whole: false,
    reason: `${mb(tile * tile * o.bytesPerPixel)} a tile × ${o.workers} worker${o.workers === 1 ? '' : 's'}, ${mb(o.freeBytes)} ${where}`,
  };
}

/** Pixels the network computes over the image with square tiles of `tile` (padding included). */
export function computedPixels(
  o: Pick<TileChoiceInput, 'width' | 'height' | 'overlap' | 'sizeMultiple' | 'minSide'>,
  tile: number,
): number {
  const sum = (length: number) =>
    planAxis(length, tile, o.overlap, o.sizeMultiple, o.minSide ?? 1).padded.reduce((a, b) => a + b, 0);
  return sum(o.width) * sum(o.height);
}

/** The tile in [floor, largest] (multiples of the size multiple) computing the fewest pixels; ties: the larger. */
function fewestPixels(o: TileChoiceInput, floor: number, largest: number): number {
  let best = largest;
  let bestPixels = computedPixels(o, largest);
  for (let t = largest - o.sizeMultiple; t >= floor; t -= o.sizeMultiple) {
    const pixels = computedPixels(o, t);
    if (pixels < bestPixels) {
      best = t;
      bestPixels = pixels;
    }
  }
  return best;
}
