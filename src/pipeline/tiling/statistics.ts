/**
 * The image a network's whole-image statistics are collected from before its tiles run with them
 * frozen (models/graph/statistics.ts): the image itself when it fits the budget, else a copy shrunk
 * by a whole factor (box average), then padded by reflection to a size the network accepts.
 */
import type { ImageTensor } from '../../models/engines/types.ts';
import { type PixelSource, readRows } from './source.ts';
import { padReflect } from './tensor.ts';

export interface StatisticsInput {
  readonly image: ImageTensor;
  /** 1: the image itself; f: shrunk f× on each side. */
  readonly factor: number;
}

/** Box-averages f×f blocks (the last partial row/column of blocks is dropped). */
export function shrink(image: ImageTensor, f: number): ImageTensor {
  if (f === 1) return image;
  const width = Math.max(1, Math.floor(image.width / f));
  const height = Math.max(1, Math.floor(image.height / f));
  const data = new Float32Array(image.channels * width * height);
  const inv = 1 / (f * f);
  const row = new Float64Array(width);
  for (let c = 0; c < image.channels; c++) {
    const plane = c * image.width * image.height;
    for (let y = 0; y < height; y++) {
      row.fill(0);
      for (let dy = 0; dy < f; dy++) {
        const src = plane + (y * f + dy) * image.width;
        for (let x = 0; x < width; x++) {
          let s = 0;
          const base = src + x * f;
          for (let dx = 0; dx < f; dx++) s += image.data[base + dx]!;
          row[x]! += s;
        }
      }
      const dst = (c * height + y) * width;
      for (let x = 0; x < width; x++) data[dst + x] = row[x]! * inv;
    }
  }
  return { data, channels: image.channels, height, width };
}

/** Output rows shrunk per read when the source is read in bands. */
const BAND_ROWS = 64;

/**
 * `source` (or a copy shrunk to at most `maxPixels`) padded to the network's size rules. A shrunk
 * copy is read in bands of whole blocks, so only the small copy and one band are ever held.
 */
export function statisticsInput(
  source: PixelSource,
  network: { readonly sizeMultiple: number; readonly minSide: number },
  maxPixels: number,
): StatisticsInput {
  const factor = Math.max(1, Math.ceil(Math.sqrt((source.width * source.height) / maxPixels)));
  const small = factor === 1 ? readRows(source, 0, source.height) : shrinkSource(source, factor);
  const m = network.sizeMultiple;
  const side = (v: number) => Math.ceil(Math.max(v, network.minSide) / m) * m;
  const padded = padReflect(small, {
    top: 0,
    left: 0,
    right: side(small.width) - small.width,
    bottom: side(small.height) - small.height,
  });
  // Reads are the caller's own buffers, so the pool may take this one.
  return { image: padded, factor };
}

/** shrink(whole image, f), read BAND_ROWS output rows (f times as many input rows) at a time. */
function shrinkSource(source: PixelSource, f: number): ImageTensor {
  const width = Math.max(1, Math.floor(source.width / f));
  const height = Math.max(1, Math.floor(source.height / f));
  const channels = source.channels;
  const data = new Float32Array(channels * width * height);
  for (let y = 0; y < height; y += BAND_ROWS) {
    const rows = Math.min(BAND_ROWS, height - y);
    const band = shrink(readRows(source, y * f, Math.min(rows * f, source.height - y * f)), f);
    for (let c = 0; c < channels; c++)
      data.set(band.data.subarray(c * rows * width, (c + 1) * rows * width), (c * height + y) * width);
  }
  return { data, channels, height, width };
}
