/**
 * Tile size and parallelism from memory (pure): a network needs `bytesPerPixel` per input pixel
 * while it runs (its peak live activations, models/graph/memory.ts, times the engine's slack).
 * The whole image runs as one tile, with every thread, when it fits; otherwise the tile memory is
 * shared by the tiles in flight ("lanes"), and each tile is the square within its lane's share
 * that computes the fewest pixels for this image (tiles are spread evenly, so a tile a little
 * smaller than the largest that fits often covers the image with as many tiles and less context).
 * Fewer lanes with more threads each mean larger tiles and less context: the lanes are chosen by
 * the pixels each thread computes, with what intra-op threading loses (INTRA_OP_LOSS). `--tile`
 * overrides the size; the overlap stays the plugin's (the receptive radius).
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
  /** Intra-op threads of all workers together (default: one a worker). */
  readonly threads?: number;
  /** Memory free for tiles now (free RAM for CPU engines, device memory for GPU ones). */
  readonly freeBytes: number;
  /** Caps and wording for where the tiles run (tileBudget); default: CPU workers in RAM. */
  readonly budget?: Pick<TileBudget, 'tileCap' | 'wholeCap' | 'where' | 'shareThreads'>;
  /** A user's --tile. */
  readonly tile?: number;
}

export interface TileChoice {
  readonly tile: number;
  /** The image runs as one tile (one worker, all threads). */
  readonly whole: boolean;
  /** Tiles in flight at once (1 for a whole image). */
  readonly lanes: number;
  /** Intra-op threads each tile runs with; absent: each worker's own. */
  readonly threads?: number;
  /** Why, in words, for the run summary. */
  readonly reason: string;
}

/**
 * Tiles in flight together take at most a quarter of the free RAM, within [MIN, MAX] unless the
 * user says (--tile-memory). The process holds ~300 MB besides (Node, sharp, a worker and its
 * engine) and the photo itself (compact, 1–2 bytes a sample): a 24-MP photo with 2 GiB of tiles
 * runs 1,500-px tiles, 1.25× its pixels computed, where 448 MB (2 lanes) computed 1.8×.
 */
export const TILE_MEMORY_SHARE = 0.25;
export const TILE_MEMORY_MIN = 448 * 2 ** 20;
export const TILE_MEMORY_MAX = 2 * 2 ** 30;
/** A whole image runs as one tile up to this much memory (or the tile memory, when larger). */
export const WHOLE_MEMORY_CAP = 1024 * 2 ** 20;
/**
 * What each intra-op thread beyond the first loses (Amdahl's serial share): ONNX Runtime on
 * DuRN-P, 2 threads on one tile 8.38 s/MP against 2 single-thread tiles side by side 8.00 s/MP
 * (768², `npm run bench -- threads`, this 2-core machine).
 */
export const INTRA_OP_LOSS = 0.05;
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
  /** CPU threads are the workers' to share: fewer tiles at once may each take several. */
  readonly shareThreads: boolean;
}

/** CPU tiles' memory: the user's, else a share of the free RAM within [MIN, MAX]. */
export function cpuTileCap(freeBytes: number, userBytes?: number): number {
  if (userBytes !== undefined) return userBytes;
  return Math.min(TILE_MEMORY_MAX, Math.max(TILE_MEMORY_MIN, freeBytes * TILE_MEMORY_SHARE));
}

/**
 * The memory tiles may use. CPU workers: a share of free RAM (the machine's other programs keep
 * the rest), or the user's --tile-memory, which also bounds a whole image. A GPU: half its free
 * memory (chooseTile keeps the other half for the engine's workspaces), no fixed cap: larger tiles
 * and whole images waste less on context, and the device has nothing else to hold.
 */
export function tileBudget(m: TileMemory, userBytes?: number): TileBudget {
  if (m.kind === 'cpu') {
    const tileCap = cpuTileCap(m.freeBytes, userBytes);
    const wholeCap = userBytes ?? Math.max(WHOLE_MEMORY_CAP, tileCap);
    // A user's budget is theirs: not halved again by what is free.
    const freeBytes = userBytes === undefined ? m.freeBytes : Math.max(m.freeBytes, 2 * userBytes);
    const where = userBytes === undefined ? 'free' : 'free (--tile-memory)';
    return { freeBytes, tileCap, wholeCap, where, shareThreads: true };
  }
  const known = m.freeBytes !== undefined;
  return {
    freeBytes: m.freeBytes ?? GPU_ASSUMED_FREE,
    tileCap: Number.POSITIVE_INFINITY,
    wholeCap: Number.POSITIVE_INFINITY,
    where: known ? 'free on the GPU' : 'taken as free on the GPU (the engine does not say)',
    shareThreads: false,
  };
}

const mb = (b: number) => `${Math.round(b / 2 ** 20)} MB`;

export function chooseTile(o: TileChoiceInput): TileChoice {
  const m = o.sizeMultiple;
  const side = (v: number) => Math.ceil(v / m) * m;
  const workers = Math.max(1, o.workers);
  const threads = Math.max(workers, o.threads ?? workers);
  if (o.tile !== undefined) {
    const whole = o.width <= o.tile && o.height <= o.tile;
    return { tile: o.tile, whole, lanes: whole ? 1 : workers, reason: '--tile' };
  }
  const { tileCap, wholeCap, where, shareThreads } =
    o.budget ?? tileBudget({ kind: 'cpu', freeBytes: o.freeBytes });
  const usable = o.freeBytes / 2;
  const wholeBytes = side(o.width) * side(o.height) * o.bytesPerPixel;
  if (wholeBytes <= Math.min(usable, wholeCap)) {
    return {
      tile: Math.max(side(o.width), side(o.height)),
      whole: true,
      lanes: 1,
      reason: `whole image, ${mb(wholeBytes)} of ${mb(o.freeBytes)} ${where}`,
    };
  }
  // A tile must own pixels beyond its two overlaps to make progress at all.
  const floor = Math.ceil((2 * o.overlap + Math.max(8, 4 * m) + 64) / m) * m;
  let best: { tile: number; lanes: number; threads: number; cost: number } | undefined;
  for (const lanes of shareThreads ? laneCounts(workers) : [workers]) {
    const share = Math.min(usable, tileCap) / lanes;
    const fit = Math.floor(Math.sqrt(share / o.bytesPerPixel) / m) * m;
    const tile = fewestPixels(o, floor, Math.min(MAX_CHOSEN_TILE, Math.max(floor, fit)));
    const t = Math.floor(threads / lanes);
    // Time ∝ pixels computed / (threads working × what each keeps of its speed).
    const cost = (computedPixels(o, tile) * (1 + INTRA_OP_LOSS * (t - 1))) / (lanes * t);
    if (!best || cost < best.cost) best = { tile, lanes, threads: t, cost };
  }
  const { tile, lanes, threads: t } = best!;
  return {
    tile,
    whole: false,
    lanes,
    ...(lanes === workers ? {} : { threads: t }),
    reason:
      `${mb(tile * tile * o.bytesPerPixel)} a tile × ${lanes} at a time` +
      `${lanes === workers ? '' : ` (${t} threads each)`}, ${mb(o.freeBytes)} ${where}`,
  };
}

/** Tiles in flight to weigh: every worker, then halves down to one. */
function laneCounts(workers: number): number[] {
  const out = [workers];
  for (let l = Math.floor(workers / 2); l >= 1; l = Math.floor(l / 2)) if (l < out.at(-1)!) out.push(l);
  return out;
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
