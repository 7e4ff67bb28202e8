/** Shapes shared by decode and encode. */
import type { ImageTensor } from '../../models/engines/types.ts';
import type { PixelSource } from '../tiling/source.ts';
import type { AlphaRows } from './source.ts';

/** Formats durn reads (GIF: first frame only) and writes. */
export type InputFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'avif' | 'heif' | 'gif';
export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'avif' | 'heif';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['jpeg', 'png', 'webp', 'tiff', 'avif', 'heif'];

/** Integer sample depth of the source; float and signed sources are refused (see decode.ts). */
export type BitDepth = 8 | 16;

export interface DecodedImage {
  /** Colour channels only, planar CHW float32, sRGB-encoded working space, nominally [0,1]. */
  readonly pixels: ImageTensor;
  /** Alpha plane in [0,1] (width × height), kept out of the network and re-attached on encode. */
  readonly alpha: Float32Array | null;
  /** Upright size (EXIF orientation applied). */
  readonly width: number;
  readonly height: number;
  readonly bitDepth: BitDepth;
  readonly format: InputFormat;
  readonly hasAlpha: boolean;
  readonly isGrey: boolean;
  /** The profile embedded in the source, byte for byte, or null when untagged. */
  readonly iccProfile: Buffer | null;
  /** Human description of the source colour space, e.g. "Adobe RGB (1998) (ICC, matrix)". */
  readonly sourceSpace: string;
  /**
   * How pixels were brought into sRGB: 'identity' (sRGB/untagged), 'matrix'/'grey' (exact, reversible
   * on encode) or 'lcms' (LUT/CMYK profiles: converted by lcms; the output is written as sRGB).
   */
  readonly colourTransform: 'identity' | 'matrix' | 'grey' | 'lcms';
  /** EXIF orientation of the source (1–8), 1 when absent. */
  readonly orientation: number;
  /** Pages/frames in the source; only the first is decoded. */
  readonly pages: number;
}

/** A decoded photo whose samples stay compact until read (decodeSource). */
export interface DecodedSource extends Omit<DecodedImage, 'pixels' | 'alpha'> {
  /** Colour channels in working space, read region by region (see DecodedImage.pixels). */
  readonly source: PixelSource;
  /** Alpha in [0,1] by rows, or null. */
  readonly alpha: AlphaRows | null;
}
