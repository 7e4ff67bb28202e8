/**
 * Patch sampling, pure: random crops with the 8 dihedral augmentations (flips and 90° rotations)
 * from 8-bit cached images into planar float images, and the NHWC packing the networks take.
 */
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Rng } from '../rng.ts';
import type { CachedImageInfo, ImageSet } from './images.ts';

export interface Crop {
  readonly image: number;
  readonly top: number;
  readonly left: number;
  readonly size: number;
  /** Quarter turns, 0–3, applied after the optional mirror. */
  readonly rotate: number;
  readonly flip: boolean;
}

/** Draws a crop of side `size` (uniform over images with room for it, then position and transform). */
export function sampleCrop(
  rng: Rng,
  images: readonly CachedImageInfo[],
  size: number,
  augment: boolean,
): Crop {
  const image = rng.int(images.length);
  const info = images[image]!;
  const top = rng.int(info.height - size + 1);
  const left = rng.int(info.width - size + 1);
  const t = augment ? rng.int(8) : 0;
  return { image, top, left, size, rotate: t & 3, flip: t >= 4 };
}

/**
 * Cuts `crop` out of an image set as planar float [0, 1]: out(y, x) reads the square crop at the
 * position that the mirror-then-rotate transform maps (y, x) to. Paired sets share crops.
 */
export function extractCrop(set: ImageSet, crop: Crop): ImageTensor {
  const info = set.images[crop.image]!;
  const c = set.channels;
  const s = crop.size;
  const src = new Uint8Array(set.pixels, info.offset, info.width * info.height * c);
  const out = new Float32Array(c * s * s);
  const plane = s * s;
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      let u = y;
      let v = x;
      for (let r = 0; r < crop.rotate; r++) {
        const t = u;
        u = v;
        v = s - 1 - t;
      }
      if (crop.flip) v = s - 1 - v;
      const base = ((crop.top + u) * info.width + crop.left + v) * c;
      for (let ch = 0; ch < c; ch++) out[ch * plane + y * s + x] = src[base + ch]! / 255;
    }
  }
  return { channels: c, height: s, width: s, data: out };
}

/** The centre `height`×`width` of a planar image (drops the context margin after degrading). */
export function centreCrop(image: ImageTensor, height: number, width = height): ImageTensor {
  if (image.height === height && image.width === width) return image;
  const top = (image.height - height) >> 1;
  const left = (image.width - width) >> 1;
  const out = new Float32Array(image.channels * height * width);
  for (let c = 0; c < image.channels; c++) {
    for (let y = 0; y < height; y++) {
      const from = c * image.height * image.width + (top + y) * image.width + left;
      out.set(image.data.subarray(from, from + width), c * height * width + y * width);
    }
  }
  return { channels: image.channels, height, width, data: out };
}

/**
 * Writes a planar image as sample `index` of an NHWC batch buffer. Values are not clamped: the
 * paper's Gaussian-noise protocol feeds unclipped noisy images.
 */
export function packNhwc(image: ImageTensor, out: Float32Array, index: number): void {
  const { channels: c, height: h, width: w } = image;
  const plane = h * w;
  const base = index * plane * c;
  for (let p = 0; p < plane; p++) {
    for (let ch = 0; ch < c; ch++) {
      out[base + p * c + ch] = image.data[ch * plane + p]!;
    }
  }
}

/** Sample `index` of an NHWC buffer as a planar image (for metrics). */
export function unpackNhwc(
  data: Float32Array,
  index: number,
  channels: number,
  height: number,
  width: number,
): ImageTensor {
  const plane = height * width;
  const base = index * plane * channels;
  const out = new Float32Array(channels * plane);
  for (let p = 0; p < plane; p++) {
    for (let ch = 0; ch < channels; ch++) out[ch * plane + p] = data[base + p * channels + ch]!;
  }
  return { channels, height, width, data: out };
}

/** Image `index` of a set, whole, as planar float [0, 1]. */
export function wholeImage(set: ImageSet, index: number): ImageTensor {
  const info = set.images[index]!;
  const c = set.channels;
  const plane = info.width * info.height;
  const src = new Uint8Array(set.pixels, info.offset, plane * c);
  const out = new Float32Array(c * plane);
  for (let p = 0; p < plane; p++) {
    for (let ch = 0; ch < c; ch++) out[ch * plane + p] = src[p * c + ch]! / 255;
  }
  return { channels: c, height: info.height, width: info.width, data: out };
}
