/**
 * The image a network's whole-image statistics are collected from before its tiles run with them
 * frozen (models/graph/statistics.ts): the image itself when it fits the budget, else a copy shrunk
 * by a whole factor (box average), then padded by reflection to a size the network accepts.
 */
import type { ImageTensor } from '../../models/engines/types.ts';
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

/** `image` (or a shrunk copy of at most `maxPixels`) padded to the network's size rules. */
export function statisticsInput(
  image: ImageTensor,
  network: { readonly sizeMultiple: number; readonly minSide: number },
  maxPixels: number,
): StatisticsInput {
  const factor = Math.max(1, Math.ceil(Math.sqrt((image.width * image.height) / maxPixels)));
  const small = shrink(image, factor);
  const m = network.sizeMultiple;
  const side = (v: number) => Math.ceil(Math.max(v, network.minSide) / m) * m;
  const padded = padReflect(small, {
    top: 0,
    left: 0,
    right: side(small.width) - small.width,
    bottom: side(small.height) - small.height,
  });
  // The pool takes ownership of the buffer it is given: never hand it the caller's image.
  return { image: padded === image ? { ...image, data: image.data.slice() } : padded, factor };
}
