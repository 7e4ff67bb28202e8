/**
 * Tiling geometry (pure). A photo too large for one network pass is cut into a grid of tiles:
 *
 * - The **cores** partition the image: every output pixel is owned by exactly one tile.
 * - Each tile's **input** is its core grown by at least `overlap` pixels of real image context on
 *   every side that has a neighbour (clamped at the image border), at most `tile` pixels a side.
 *   With `overlap` ≥ the network's receptive radius, a local network computes the core exactly as
 *   it would on the whole image.
 * - Each tile's **output** is its core grown by `blend` pixels into its neighbours' cores; there
 *   the two tiles are cross-faded (see feather.ts) to hide differences that networks with global
 *   statistics (instance norm, SE pooling) leave between tiles.
 * - Inputs are then **padded** by reflection (right and bottom) so their sides are multiples of the
 *   network's size multiple and at least its minimum side. Tile origins sit on multiples of the
 *   size multiple, so a strided network samples the same grid as on the whole image.
 *
 * Tiles along an axis all have the full tile size (spread evenly, the last one flush with the
 * border), so engines see one shape and no tile is a thin sliver with unrepresentative statistics.
 */
import { DurnUserError, expected, invariant } from '../../core/errors.ts';
import type { Pads } from '../../models/graph/types.ts';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Tile {
  readonly index: number;
  readonly row: number;
  readonly col: number;
  /** The image region the tile reads, context included. */
  readonly input: Rect;
  /** Reflection padding added to the input (right and bottom only). */
  readonly pads: Pads;
  readonly paddedWidth: number;
  readonly paddedHeight: number;
  /** The region the tile owns. Cores partition the image. */
  readonly core: Rect;
  /** The region the tile writes: its core plus the blend bands shared with neighbours. */
  readonly output: Rect;
}

export interface TilePlanInput {
  readonly width: number;
  readonly height: number;
  /** Largest input side of a tile, before padding. Rounded down to a multiple of `multiple`. */
  readonly tile: number;
  /** Context pixels a tile reads beyond its core, on sides with a neighbour. */
  readonly overlap: number;
  /** Half-width of the cross-fade around each cut (≤ overlap). Default: overlap / 2. */
  readonly blend?: number;
  /** The network's size multiple (1 or 4). */
  readonly multiple: number;
  /** The network's minimum side. */
  readonly minSide: number;
}

/** Cuts along one axis: segment i owns [cuts[i], cuts[i+1]) and reads [starts[i], ends[i]). */
export interface AxisPlan {
  readonly cuts: readonly number[];
  readonly starts: readonly number[];
  readonly ends: readonly number[];
  /** Padded length of each segment's input. */
  readonly padded: readonly number[];
}

export interface TilePlan {
  readonly width: number;
  readonly height: number;
  readonly tile: number;
  readonly overlap: number;
  readonly blend: number;
  readonly multiple: number;
  readonly minSide: number;
  readonly rows: number;
  readonly cols: number;
  readonly x: AxisPlan;
  readonly y: AxisPlan;
  /** Row-major (top row first): the order the Stitcher expects when streaming rows. */
  readonly tiles: readonly Tile[];
}

export const MIN_TILE = 16;
export const MAX_TILE = 16384;
export const MAX_SIDE = 1 << 20;

function checkInt(value: number, min: number, max: number, name: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DurnUserError('INVALID_OPTION', expected(`an integer between ${min} and ${max}`, name, value));
  }
}

const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;
const roundDown = (v: number, m: number) => Math.floor(v / m) * m;

export function planTiles(p: TilePlanInput): TilePlan {
  checkInt(p.width, 1, MAX_SIDE, 'the image width');
  checkInt(p.height, 1, MAX_SIDE, 'the image height');
  checkInt(p.multiple, 1, 64, 'the size multiple');
  checkInt(p.minSide, 1, 4096, 'the minimum side');
  checkInt(p.tile, MIN_TILE, MAX_TILE, 'tile');
  const tile = roundDown(p.tile, p.multiple);
  // Each tile must own a few pixels once both overlaps are taken out, with room for aligning
  // tile origins to the size multiple.
  const maxOverlap = Math.floor((tile - Math.max(4 * p.multiple, 8)) / 2);
  checkInt(p.overlap, 0, maxOverlap, `overlap (with tile ${p.tile})`);
  const requestedBlend = p.blend ?? Math.floor(p.overlap / 2);
  checkInt(requestedBlend, 0, p.overlap, 'blend');

  const x = planAxis(p.width, tile, p.overlap, p.multiple, p.minSide);
  const y = planAxis(p.height, tile, p.overlap, p.multiple, p.minSide);
  // A tile's two cross-fades must not meet, or the weights stop summing to 1: cap the blend at
  // half the narrowest core that has a cut on both sides.
  const blend = Math.min(requestedBlend, Math.floor(innerCore(x) / 2), Math.floor(innerCore(y) / 2));
  const cols = x.starts.length;
  const rows = y.starts.length;
  const tiles: Tile[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const ix = axisTile(x, c, blend);
      const iy = axisTile(y, r, blend);
      tiles.push({
        index: tiles.length,
        row: r,
        col: c,
        input: { x: ix.start, y: iy.start, width: ix.end - ix.start, height: iy.end - iy.start },
        pads: { top: 0, left: 0, right: ix.pad, bottom: iy.pad },
        paddedWidth: ix.padded,
        paddedHeight: iy.padded,
        core: {
          x: ix.coreStart,
          y: iy.coreStart,
          width: ix.coreEnd - ix.coreStart,
          height: iy.coreEnd - iy.coreStart,
        },
        output: {
          x: ix.outStart,
          y: iy.outStart,
          width: ix.outEnd - ix.outStart,
          height: iy.outEnd - iy.outStart,
        },
      });
    }
  }
  return {
    width: p.width,
    height: p.height,
    tile,
    overlap: p.overlap,
    blend,
    multiple: p.multiple,
    minSide: p.minSide,
    rows,
    cols,
    x,
    y,
    tiles,
  };
}

function innerCore(a: AxisPlan): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 1; i + 2 < a.cuts.length; i++) min = Math.min(min, a.cuts[i + 1]! - a.cuts[i]!);
  return min;
}

function axisTile(a: AxisPlan, i: number, blend: number) {
  const n = a.starts.length;
  const coreStart = a.cuts[i]!;
  const coreEnd = a.cuts[i + 1]!;
  const start = a.starts[i]!;
  const end = a.ends[i]!;
  return {
    start,
    end,
    pad: a.padded[i]! - (end - start),
    padded: a.padded[i]!,
    coreStart,
    coreEnd,
    outStart: i === 0 ? coreStart : coreStart - blend,
    outEnd: i === n - 1 ? coreEnd : coreEnd + blend,
  };
}

/** One axis of length `length`: evenly spread windows of `tile`, neighbours sharing ≥ 2·overlap. */
export function planAxis(
  length: number,
  tile: number,
  overlap: number,
  multiple: number,
  minSide: number,
): AxisPlan {
  const padTo = (len: number) => roundUp(Math.max(len, minSide), multiple);
  if (length <= tile) {
    return { cuts: [0, length], starts: [0], ends: [length], padded: [padTo(length)] };
  }
  const step = tile - 2 * overlap;
  let n = 1 + Math.ceil((length - tile) / step);
  for (; ; n++) {
    const starts: number[] = [];
    const last = Math.min(roundUp(length - tile, multiple), length - 1);
    for (let i = 0; i < n; i++) {
      starts.push(i === n - 1 ? last : roundDown(Math.round((i * (length - tile)) / (n - 1)), multiple));
    }
    const ends = starts.map((s) => Math.min(s + tile, length));
    // Neighbours must share 2·overlap so the cut between them has `overlap` context on each side.
    let ok = true;
    for (let i = 0; i + 1 < n; i++) {
      if (starts[i + 1]! <= starts[i]! || ends[i]! - starts[i + 1]! < 2 * overlap) ok = false;
    }
    if (!ok) {
      invariant(n < length, `cannot tile ${length} pixels with tile ${tile} and overlap ${overlap}`);
      continue;
    }
    const cuts = [0];
    for (let i = 0; i + 1 < n; i++) cuts.push(starts[i + 1]! + Math.floor((ends[i]! - starts[i + 1]!) / 2));
    cuts.push(length);
    return { cuts, starts, ends, padded: starts.map((s, i) => padTo(ends[i]! - s)) };
  }
}

/** Tile sizes for a network: a local network whose radius the overlap covers gets an exact result. */
export function blendFor(
  network: { readonly receptiveRadius: number; readonly globalStatistics: boolean },
  overlap: number,
): number {
  if (!network.globalStatistics && overlap >= network.receptiveRadius) {
    // Only pixels at least `radius` from a tile edge are exact; cross-fade within those alone.
    return overlap - network.receptiveRadius;
  }
  return Math.floor(overlap / 2);
}

/** The plan input for running `network` on a width×height image with the given tile settings. */
export function planInputFor(
  network: {
    readonly receptiveRadius: number;
    readonly globalStatistics: boolean;
    readonly sizeMultiple: number;
    readonly minSide: number;
  },
  size: { readonly width: number; readonly height: number },
  tiling: { readonly tile: number; readonly overlap: number },
): TilePlanInput {
  return {
    width: size.width,
    height: size.height,
    tile: tiling.tile,
    overlap: tiling.overlap,
    blend: blendFor(network, tiling.overlap),
    multiple: network.sizeMultiple,
    minSide: network.minSide,
  };
}
