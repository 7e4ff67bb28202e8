/** Cropping and reflection padding of planar CHW images (pure). */
import { invariant } from '../../core/errors.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Pads } from '../../models/graph/types.ts';
import type { Rect, Tile } from './plan.ts';

function checkTensor(t: ImageTensor): void {
  invariant(t.data.length === t.channels * t.height * t.width, 'image tensor size mismatch');
}

/** A copy of `rect` of `image`. */
export function cropTile(image: ImageTensor, rect: Rect): ImageTensor {
  checkTensor(image);
  const { x, y, width, height } = rect;
  invariant(
    x >= 0 && y >= 0 && width > 0 && height > 0 && x + width <= image.width && y + height <= image.height,
    `crop ${width}×${height}+${x}+${y} outside a ${image.width}×${image.height} image`,
  );
  const data = new Float32Array(image.channels * width * height);
  const inPlane = image.width * image.height;
  for (let c = 0; c < image.channels; c++) {
    for (let r = 0; r < height; r++) {
      const from = c * inPlane + (y + r) * image.width + x;
      data.set(image.data.subarray(from, from + width), (c * height + r) * width);
    }
  }
  return { data, channels: image.channels, height, width };
}

/**
 * Index into [0, n) of position `i` under mirror reflection without repeating the edge
 * (PyTorch's 'reflect'), folding as often as needed so any pad works; a 1-pixel side repeats.
 */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/** `image` grown by `pads` pixels on each side, filled by reflection. */
export function padReflect(image: ImageTensor, pads: Pads): ImageTensor {
  checkTensor(image);
  const { top, bottom, left, right } = pads;
  invariant(top >= 0 && bottom >= 0 && left >= 0 && right >= 0, 'negative padding');
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return image;
  const width = image.width + left + right;
  const height = image.height + top + bottom;
  const data = new Float32Array(image.channels * width * height);
  const cols = new Int32Array(width);
  for (let x = 0; x < width; x++) cols[x] = reflectIndex(x - left, image.width);
  const inPlane = image.width * image.height;
  for (let c = 0; c < image.channels; c++) {
    for (let y = 0; y < height; y++) {
      const src = c * inPlane + reflectIndex(y - top, image.height) * image.width;
      const dst = (c * height + y) * width;
      data.set(image.data.subarray(src, src + image.width), dst + left);
      for (let x = 0; x < left; x++) data[dst + x] = image.data[src + cols[x]!]!;
      for (let x = left + image.width; x < width; x++) data[dst + x] = image.data[src + cols[x]!]!;
    }
  }
  return { data, channels: image.channels, height, width };
}

/** Removes `pads` (the inverse of padReflect's geometry). */
export function unpad(image: ImageTensor, pads: Pads): ImageTensor {
  if (pads.top === 0 && pads.bottom === 0 && pads.left === 0 && pads.right === 0) return image;
  return cropTile(image, {
    x: pads.left,
    y: pads.top,
    width: image.width - pads.left - pads.right,
    height: image.height - pads.top - pads.bottom,
  });
}

/** The network input for `tile`: its input region of `image`, padded by reflection. */
export function tileInput(image: ImageTensor, tile: Tile): ImageTensor {
  return padReflect(cropTile(image, tile.input), tile.pads);
}
