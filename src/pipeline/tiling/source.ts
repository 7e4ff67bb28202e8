/**
 * Where tiles are cut from: a photo's pixels read region by region. A decoded photo keeps its
 * samples compact (1 or 2 bytes each, image/source.ts) and converts only what is read to float, so
 * a 50-MP photo costs its decoded bytes rather than 4 bytes a sample; an ImageTensor (a previous
 * step's result, an API caller's image) is read by cropping.
 */
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Rect } from './plan.ts';
import { cropTile } from './tensor.ts';

export interface PixelSource {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** Planar CHW float32 working-space values of `rect`, in a new buffer the caller owns. */
  read(rect: Rect): ImageTensor;
}

/** An in-memory image as a source (reads are copies: the caller may hand them to the pool). */
export function tensorSource(image: ImageTensor): PixelSource {
  return {
    width: image.width,
    height: image.height,
    channels: image.channels,
    read: (rect) => cropTile(image, rect),
  };
}

/** The source's rows [y, y + height), every column. */
export function readRows(source: PixelSource, y: number, height: number): ImageTensor {
  return source.read({ x: 0, y, width: source.width, height });
}
