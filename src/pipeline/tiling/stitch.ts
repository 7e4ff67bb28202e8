/**
 * Feathered blending of tile outputs into the full image (pure, in memory).
 *
 * Weights are separable: wx(x)·wy(y). Along an axis a tile's weight is 1 on its core, and across
 * each cut shared with a neighbour it ramps (raised cosine) over 2·blend pixels, the neighbour's
 * ramp being exactly 1 minus it. At the image border there is no ramp. So the weights of all tiles
 * covering a pixel sum to 1 by construction (a partition of unity), and the stitcher needs no
 * weight map: it accumulates weighted outputs straight into the result.
 *
 * Memory, for a C-channel W×H result (a 50 MP RGB photo: 600 MB as float32):
 * - whole mode: C·W·H floats, the result itself, and nothing else full-size;
 * - streaming mode (`onRows`): C·W·tile floats at most; finished rows go to the callback as soon
 *   as no later tile touches them (for 8000 px wide RGB and 1024 tiles: about 100 MB).
 * Plus one tile's input and output, which the caller holds anyway.
 */
import { DurnBugError, invariant } from '../../core/errors.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { AxisPlan, Tile, TilePlan } from './plan.ts';

function ramp(t: number): number {
  return 0.5 - 0.5 * Math.cos(Math.PI * t);
}

/** One axis of a tile's window, over its output range [outStart, outStart + length). */
function axisProfile(a: AxisPlan, i: number, blend: number, outStart: number, length: number): Float32Array {
  const w = new Float32Array(length).fill(1);
  if (blend === 0) return w;
  const n = a.starts.length;
  for (let k = 0; k < length; k++) {
    const p = outStart + k;
    if (i > 0) {
      const c = a.cuts[i]!;
      if (p < c + blend) w[k] = ramp((p - (c - blend) + 0.5) / (2 * blend));
    }
    if (i < n - 1) {
      const c = a.cuts[i + 1]!;
      if (p >= c - blend) w[k] = 1 - ramp((p - (c - blend) + 0.5) / (2 * blend));
    }
  }
  return w;
}

/** The window of `tile` as one profile per axis (x over output.width, y over output.height). */
export function featherProfiles(tile: Tile, plan: TilePlan): { x: Float32Array; y: Float32Array } {
  return {
    x: axisProfile(plan.x, tile.col, plan.blend, tile.output.x, tile.output.width),
    y: axisProfile(plan.y, tile.row, plan.blend, tile.output.y, tile.output.height),
  };
}

/** The window of `tile` over its output rectangle, row-major (output.height × output.width). */
export function featherWeights(tile: Tile, plan: TilePlan): Float32Array {
  const { x, y } = featherProfiles(tile, plan);
  const w = new Float32Array(x.length * y.length);
  for (let r = 0; r < y.length; r++) for (let c = 0; c < x.length; c++) w[r * x.length + c] = y[r]! * x[c]!;
  return w;
}

export interface StitcherOptions {
  /**
   * Streams finished rows (an ImageTensor `rows.height` rows tall, starting at row `y`) instead of
   * keeping the whole result. Tiles must then arrive in plan order.
   */
  readonly onRows?: (rows: ImageTensor, y: number) => void;
}

export class Stitcher {
  readonly plan: TilePlan;
  readonly channels: number;
  private readonly onRows: ((rows: ImageTensor, y: number) => void) | undefined;
  private readonly buffer: Float32Array;
  /** Rows held in `buffer` (the whole height, or the streaming band). */
  private readonly bandHeight: number;
  /** Image row of buffer row 0. */
  private bandY = 0;
  private readonly added: Uint8Array;
  private count = 0;

  constructor(plan: TilePlan, channels: number, options: StitcherOptions = {}) {
    invariant(Number.isInteger(channels) && channels > 0, `bad channel count ${channels}`);
    this.plan = plan;
    this.channels = channels;
    this.onRows = options.onRows;
    this.bandHeight = this.onRows
      ? Math.max(...plan.tiles.filter((t) => t.col === 0).map((t) => t.output.height))
      : plan.height;
    this.buffer = new Float32Array(channels * this.bandHeight * plan.width);
    this.added = new Uint8Array(plan.tiles.length);
  }

  /** Bytes held by the accumulator (for progress reports and memory estimates). */
  get bytes(): number {
    return this.buffer.byteLength;
  }

  /** Adds the network's output for `tile`, either padded (as it came out) or already unpadded. */
  add(tile: Tile, output: ImageTensor): void {
    invariant(
      this.plan.tiles[tile.index] === tile || sameTile(this.plan.tiles[tile.index], tile),
      'tile not in plan',
    );
    invariant(!this.added[tile.index], `tile ${tile.index} added twice`);
    invariant(
      output.channels === this.channels,
      `tile has ${output.channels} channels, expected ${this.channels}`,
    );
    // A padded output is read in place (its padding skipped), not copied without it.
    const padded = output.width === tile.paddedWidth && output.height === tile.paddedHeight;
    invariant(
      padded || (output.width === tile.input.width && output.height === tile.input.height),
      `tile ${tile.index} output is ${output.width}×${output.height}, expected ${tile.paddedWidth}×${tile.paddedHeight}`,
    );
    if (this.onRows) {
      invariant(
        tile.index === this.count,
        `streaming stitcher got tile ${tile.index}, expected ${this.count}`,
      );
      if (tile.col === 0 && tile.row > 0) this.flush(tile.output.y);
    }
    this.accumulate(tile, output, padded ? tile.pads : { top: 0, left: 0 });
    this.added[tile.index] = 1;
    this.count++;
  }

  private accumulate(tile: Tile, out: ImageTensor, pads: { top: number; left: number }): void {
    const { x: wx, y: wy } = featherProfiles(tile, this.plan);
    const { output: o, input: i } = tile;
    const W = this.plan.width;
    const outPlane = out.width * out.height;
    const bufPlane = this.bandHeight * W;
    for (let c = 0; c < this.channels; c++) {
      for (let r = 0; r < o.height; r++) {
        const yy = o.y + r;
        const wyr = wy[r]!;
        const src = c * outPlane + (yy - i.y + pads.top) * out.width + (o.x - i.x + pads.left);
        const dst = c * bufPlane + (yy - this.bandY) * W + o.x;
        for (let k = 0; k < o.width; k++) this.buffer[dst + k]! += wyr * wx[k]! * out.data[src + k]!;
      }
    }
  }

  /** Emits rows [bandY, until) and shifts the band up. */
  private flush(until: number): void {
    const onRows = this.onRows!;
    const rows = until - this.bandY;
    if (rows <= 0) return;
    const W = this.plan.width;
    const bufPlane = this.bandHeight * W;
    const data = new Float32Array(this.channels * rows * W);
    for (let c = 0; c < this.channels; c++) {
      const base = c * bufPlane;
      data.set(this.buffer.subarray(base, base + rows * W), c * rows * W);
      this.buffer.copyWithin(base, base + rows * W, base + bufPlane);
      this.buffer.fill(0, base + bufPlane - rows * W, base + bufPlane);
    }
    onRows({ data, channels: this.channels, height: rows, width: W }, this.bandY);
    this.bandY = until;
  }

  /** The stitched image (whole mode), or undefined after streaming the last rows. */
  finish(): ImageTensor | undefined {
    if (this.count !== this.plan.tiles.length) {
      throw new DurnBugError(`stitcher finished with ${this.count} of ${this.plan.tiles.length} tiles`);
    }
    if (this.onRows) {
      this.flush(this.plan.height);
      return undefined;
    }
    return { data: this.buffer, channels: this.channels, height: this.plan.height, width: this.plan.width };
  }
}

function sameTile(a: Tile | undefined, b: Tile): boolean {
  return (
    a !== undefined &&
    a.input.x === b.input.x &&
    a.input.y === b.input.y &&
    a.input.width === b.input.width &&
    a.input.height === b.input.height
  );
}
