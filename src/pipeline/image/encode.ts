/**
 * Encoding working-space pixels back into a file: back to the source's colour profile, rounded
 * consistently (clamp, then round half up) so an unprocessed decode → encode is bit-exact for
 * 8- and 16-bit PNG/TIFF, alpha re-attached, grey kept grey, orientation 1 (pixels are upright).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { z } from 'zod';
import { DurnBugError, DurnUserError, expected } from '../../core/errors.ts';
import { parseWith } from '../../core/validation.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import { getExifTool } from '../metadata/exiftool.ts';
import { parseIcc, profileTransform, workingToDevice } from './icc.ts';
import type { AlphaRows } from './source.ts';
import { type BitDepth, type DecodedImage, OUTPUT_FORMATS, type OutputFormat } from './types.ts';

/** Formats sharp writes at 16 bits per sample here; AVIF/HEIF go to 10/12 bits only, JPEG/WebP 8. */
export const SIXTEEN_BIT_FORMATS: readonly OutputFormat[] = ['png', 'tiff'];

const EncodeOptions = z.object({
  format: z.enum(OUTPUT_FORMATS as [OutputFormat, ...OutputFormat[]]),
  quality: z.number().int().min(1).max(100).optional(),
  lossless: z.boolean().optional(),
  bitDepth: z.union([z.literal(8), z.literal(16)]).optional(),
  iccProfile: z.instanceof(Buffer).nullable(),
});
export type EncodeOptions = z.input<typeof EncodeOptions>;

export interface EncodableImage {
  readonly pixels: ImageTensor;
  readonly alpha: Float32Array | null;
}

/** Encode options that reproduce the input: same format (GIF → PNG) and depth where possible. */
export function defaultEncodeOptions(
  decoded: Pick<DecodedImage, 'format' | 'bitDepth' | 'iccProfile'>,
  format?: OutputFormat,
): EncodeOptions {
  const out =
    format ?? (decoded.format === 'gif' ? 'png' : decoded.format === 'heif' ? 'avif' : decoded.format);
  const bitDepth: BitDepth = decoded.bitDepth === 16 && SIXTEEN_BIT_FORMATS.includes(out) ? 16 : 8;
  return { format: out, bitDepth, iccProfile: decoded.iccProfile };
}

export async function encodeImage(image: EncodableImage, opts: EncodeOptions): Promise<Buffer> {
  const { pixels, alpha } = image;
  const n = pixels.width * pixels.height;
  if (
    (pixels.channels !== 1 && pixels.channels !== 3) ||
    pixels.data.length !== n * pixels.channels ||
    (alpha && alpha.length !== n)
  ) {
    throw new DurnBugError(
      `encodeImage got a malformed tensor (${pixels.channels}×${pixels.height}×${pixels.width}, ${pixels.data.length} values)`,
    );
  }
  const encoder = createEncoder(
    { width: pixels.width, height: pixels.height, channels: pixels.channels, alpha },
    opts,
  );
  encoder.writeRows(pixels, 0);
  return encoder.finish();
}

/**
 * An encoder fed in bands of rows, top to bottom: each band is converted to the output profile and
 * quantised into one interleaved integer buffer (1 or 2 bytes a sample, a quarter or half of the
 * float image), which sharp encodes at the end. The caller never holds the full float result.
 */
export interface BandEncoder {
  /** Writes `rows` (working-space floats, `rows.height` rows) at image row `y`. */
  writeRows(rows: ImageTensor, y: number): void;
  /** Encodes once every row has been written. */
  finish(): Promise<Buffer>;
  /** As finish, into the file at `path` (created or replaced). */
  finishTo(path: string): Promise<void>;
}

export function createEncoder(
  /** The alpha whole, or read by rows as bands arrive (a decoded source's, kept compact). */
  size: { width: number; height: number; channels: number; alpha: Float32Array | AlphaRows | null },
  opts: EncodeOptions,
): BandEncoder {
  const parsed = { data: parseWith(EncodeOptions, opts, 'the encode options') };
  const o = parsed.data;
  const bitDepth = o.bitDepth ?? 8;
  if (bitDepth === 16 && !SIXTEEN_BIT_FORMATS.includes(o.format)) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected('8-bit output', `${o.format} output`, '16 bits per sample'),
      {
        hint: 'Write PNG or TIFF to keep 16 bits per sample.',
      },
    );
  }
  const { width, height, alpha } = size;
  const n = width * height;
  if ((size.channels !== 1 && size.channels !== 3) || (alpha instanceof Float32Array && alpha.length !== n)) {
    throw new DurnBugError(
      `createEncoder got ${size.channels} channels, alpha of ${alpha instanceof Float32Array ? alpha.length : 'rows'} for ${n} pixels`,
    );
  }
  const grey = size.channels === 1;
  const icc = o.iccProfile;
  const original = profileTransform(icc, grey);
  const isRgbProfile = icc !== null && parseIcc(icc)?.colourSpace === 'RGB ';
  // lcms (via sharp) converts back for LUT profiles, and for AVIF/HEIF, where exiftool cannot put a
  // profile; sharp's lcms path is only sound from 8-bit sRGB (16-bit raw input is taken as P3).
  const viaLcms =
    isRgbProfile &&
    !grey &&
    bitDepth === 8 &&
    (original.kind === 'lcms' || o.format === 'avif' || o.format === 'heif');
  // Profiles we cannot invert otherwise (CMYK, Lab, 16-bit LUT) are written as untagged sRGB.
  const transform = viaLcms || original.kind === 'lcms' ? ({ kind: 'identity' } as const) : original;
  const attach = icc !== null && !viaLcms && original.kind !== 'lcms';
  const levels = bitDepth === 16 ? 65535 : 255;
  const channels = size.channels + (alpha ? 1 : 0);
  const samples = bitDepth === 16 ? new Uint16Array(n * channels) : new Uint8Array(n * channels);
  let written = 0;
  const encoder: BandEncoder = {
    writeRows(rows: ImageTensor, y: number): void {
      const m = rows.width * rows.height;
      if (
        rows.width !== width ||
        rows.channels !== size.channels ||
        rows.data.length !== m * rows.channels ||
        y !== written ||
        y + rows.height > height
      ) {
        throw new DurnBugError(
          `encoder band ${rows.channels}×${rows.height}×${rows.width} at row ${y} (next row ${written}, image ${size.channels}×${height}×${width})`,
        );
      }
      const device = workingToDevice(transform, rows.data, m);
      const a =
        alpha instanceof Float32Array
          ? alpha.subarray(y * width, y * width + m)
          : alpha
            ? alpha(y, rows.height)
            : null;
      interleave(
        device,
        a,
        samples.subarray(y * width * channels, (y * width + m) * channels),
        m,
        size.channels,
        levels,
      );
      written += rows.height;
    },
    finish: () => encodeTo(null) as Promise<Buffer>,
    finishTo: async (path) => {
      await encodeTo(path);
    },
  };

  /** Encodes into a new buffer (path null) or straight into the file at `path`. */
  async function encodeTo(path: string | null): Promise<Buffer | undefined> {
    if (written !== height) throw new DurnBugError(`encoder finished after ${written} of ${height} rows`);
    const scratch = await mkdtemp(join(tmpdir(), 'durn-encode-'));
    try {
      let pipeline = sharp(samples, {
        raw: { width, height, channels: channels as 1 | 2 | 3 | 4 },
      }).toColourspace(grey ? (bitDepth === 16 ? 'grey16' : 'b-w') : bitDepth === 16 ? 'rgb16' : 'srgb');
      if (viaLcms && icc !== null) {
        const iccPath = join(scratch, 'profile.icc');
        await writeFile(iccPath, icc);
        pipeline = pipeline.withIccProfile(iccPath, { attach: true });
      }
      const out = formatPipeline(pipeline, o.format, o.quality, o.lossless ?? false);
      // A file target never holds the encoded photo in memory (nor reads it back for the profile).
      const file = path ?? join(scratch, `image.${o.format === 'jpeg' ? 'jpg' : o.format}`);
      if (path === null && (o.format === 'avif' || o.format === 'heif')) return await out.toBuffer();
      await out.toFile(file);
      if (o.format !== 'avif' && o.format !== 'heif') {
        // We converted the pixels ourselves, so the original bytes go in unchanged.
        if (attach && icc !== null) await attachIcc(file, icc, scratch);
        // The source profile could not be reproduced (CMYK, Lab, 16-bit LUT): the pixels are sRGB,
        // and the file says so, rather than leaving viewers to guess from a missing profile.
        else if (icc !== null && !viaLcms && !grey) await attachIcc(file, await srgbProfile(), scratch);
      }
      return path === null ? await readFile(file) : undefined;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
  return encoder;
}

/** Planar [0,1] floats → interleaved integers: clamp, then round half up (floor(v·max + 0.5)). */
export function interleave(
  planes: Float32Array,
  alpha: Float32Array | null,
  out: Uint8Array | Uint16Array,
  n: number,
  colours: number,
  levels: number,
): void {
  const channels = colours + (alpha ? 1 : 0);
  const q = (v: number) => (v > 0 ? (v < 1 ? Math.floor(v * levels + 0.5) : levels) : 0); // NaN → 0
  for (let i = 0; i < n; i++) {
    const at = i * channels;
    for (let c = 0; c < colours; c++) out[at + c] = q(planes[c * n + i]!);
    if (alpha) out[at + colours] = q(alpha[i]!);
  }
}

function formatPipeline(
  p: Sharp,
  format: OutputFormat,
  quality: number | undefined,
  lossless: boolean,
): Sharp {
  switch (format) {
    case 'jpeg':
      // 4:4:4 keeps restored fine colour detail; photographers notice chroma blur at 4:2:0.
      return p.jpeg({ quality: quality ?? 92, chromaSubsampling: '4:4:4' });
    case 'png':
      return p.png({ compressionLevel: 6 });
    case 'webp':
      return p.webp({ quality: quality ?? 92, lossless, smartSubsample: true });
    case 'tiff':
      // sharp's TIFF default is JPEG compression (lossy, 8-bit); deflate is lossless at any depth.
      return p.tiff({ compression: 'deflate', predictor: 'horizontal' });
    case 'avif':
      return p.avif({ quality: quality ?? 80, lossless });
    case 'heif':
      // HEIC is HEVC inside HEIF; this sharp build has no HEVC encoder (heif options refuse it
      // earlier). AV1 in HEIF under .heic would be AVIF with the wrong name.
      throw new DurnBugError('HEIC output reached the encoder');
  }
}

let srgbIcc: Promise<Buffer> | null = null;

/** The sRGB profile libvips ships (the one sharp embeds for withIccProfile('srgb')), read once. */
export function srgbProfile(): Promise<Buffer> {
  srgbIcc ??= sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
    .withIccProfile('srgb')
    .png()
    .toBuffer()
    .then(async (png) => {
      const { icc } = await sharp(png).metadata();
      if (!icc) throw new DurnBugError('sharp embedded no sRGB profile');
      return Buffer.from(icc);
    });
  return srgbIcc;
}

/** Writes the profile bytes verbatim into a PNG/JPEG/WebP/TIFF file with ExifTool (sharp would convert). */
async function attachIcc(file: string, icc: Buffer, scratch: string): Promise<void> {
  const iccPath = join(scratch, 'attach.icc');
  await writeFile(iccPath, icc);
  await getExifTool().write(file, {}, { writeArgs: [`-ICC_Profile<=${iccPath}`, '-overwrite_original'] });
}
