/**
 * A decoded photo kept as sharp gave it: interleaved 8- or 16-bit samples (colours, then any
 * alpha), a quarter or half of the float image. Regions become planar working-space floats only
 * when read (a tile and its context, a band of rows), with the arithmetic a whole-image
 * conversion uses, so any region reads the same values the whole image would hold there.
 */
import type { PixelSource } from '../tiling/source.ts';
import { type ProfileTransform, workingConverter } from './icc.ts';

export interface CompactSamples {
  readonly samples: Uint8Array | Uint16Array;
  readonly width: number;
  readonly height: number;
  /** Interleaved samples per pixel (colours plus an alpha when there is one). */
  readonly channels: number;
  readonly colours: 1 | 3;
  /** 255 or 65535. */
  readonly levels: number;
}

/** Alpha in [0,1] for rows [y, y + rows), row-major, every column (a new array). */
export type AlphaRows = (y: number, rows: number) => Float32Array;

export function compactSource(s: CompactSamples, transform: ProfileTransform): PixelSource {
  const convert = workingConverter(transform, s.levels);
  const scale = 1 / s.levels;
  const { samples, channels, colours, width: W } = s;
  return {
    width: s.width,
    height: s.height,
    channels: colours,
    read(rect) {
      const { x, y, width, height } = rect;
      if (x < 0 || y < 0 || width <= 0 || height <= 0 || x + width > s.width || y + height > s.height)
        throw new RangeError(`read ${width}×${height}+${x}+${y} outside a ${s.width}×${s.height} image`);
      const n = width * height;
      const planes = new Float32Array(colours * n);
      for (let r = 0; r < height; r++) {
        const row = ((y + r) * W + x) * channels;
        for (let c = 0; c < colours; c++) {
          const dst = c * n + r * width;
          for (let i = 0, at = row + c; i < width; i++, at += channels)
            planes[dst + i] = samples[at]! * scale;
        }
      }
      convert(planes, n);
      return { data: planes, channels: colours, height, width };
    },
  };
}

/** The alpha interleaved after the colours of `s`. */
export function interleavedAlpha(s: CompactSamples): AlphaRows {
  const scale = 1 / s.levels;
  return (y, rows) => {
    const out = new Float32Array(rows * s.width);
    const from = y * s.width;
    for (let i = 0; i < out.length; i++) out[i] = s.samples[(from + i) * s.channels + s.colours]! * scale;
    return out;
  };
}

/** A separate alpha plane of integer samples. */
export function planeAlpha(plane: Uint8Array | Uint16Array, width: number, levels: number): AlphaRows {
  return (y, rows) => Float32Array.from(plane.subarray(y * width, (y + rows) * width), (v) => v / levels);
}
