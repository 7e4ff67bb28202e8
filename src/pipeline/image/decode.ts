/**
 * Decoding any supported photo into the networks' working space, without losing precision:
 * EXIF orientation applied, 8/16-bit samples kept at full precision as float32, colour converted
 * from the embedded profile to sRGB (exactly and reversibly for matrix/TRC profiles), alpha split off.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import sharp, { type Metadata, type OutputInfo, type SharpOptions } from 'sharp';
import { z } from 'zod';
import { DurnUserError } from '../../core/errors.ts';
import { parseWith } from '../../core/validation.ts';
import { parseIcc, profileTransform } from './icc.ts';
import { compactSource, interleavedAlpha, planeAlpha } from './source.ts';
import { decodeTiledPlanar, isTiledPlanarTiff } from './tiff-planar.ts';
import type { BitDepth, DecodedImage, DecodedSource, InputFormat } from './types.ts';

/** "Expected X for Y but received Z" with Z as plain words (errors.expected() quotes strings). */
function expected(what: string, forWhat: string, received: string): string {
  return `Expected ${what} for ${forWhat} but received ${received}`;
}

export const DEFAULT_MAX_PIXELS = 200_000_000;
const READABLE = 'an image (JPEG, PNG, WebP, TIFF, AVIF, HEIF or GIF)';

const DecodeOptions = z.object({
  maxPixels: z.number().int().positive().optional(),
  name: z.string().min(1).optional(),
});
export type DecodeOptions = z.input<typeof DecodeOptions>;

/** Which formats this sharp build reads, for `durn doctor` style reports. */
export function decodeCapabilities(): Record<InputFormat, boolean> {
  const f = sharp.format;
  return {
    jpeg: f.jpeg.input.buffer,
    png: f.png.input.buffer,
    webp: f.webp.input.buffer,
    tiff: f.tiff.input.buffer,
    avif: f.heif.input.buffer,
    heif: f.heif.input.buffer,
    gif: f.gif.input.buffer,
  };
}

/** An image's format by its content, or decodeImage's own error when it is not an image durn reads. */
export async function probeFormat(input: string | Buffer, name?: string): Promise<InputFormat> {
  const label = name ?? (typeof input === 'string' ? input : '<buffer>');
  const bytes = typeof input === 'string' ? await readInput(input) : input;
  if (bytes.length === 0) {
    throw new DurnUserError(
      'INVALID_INPUT',
      expected(READABLE, `input ${label}`, 'an empty file (0 bytes)'),
      {
        file: label,
      },
    );
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw undecodable(label, err);
  }
  const format = inputFormat(meta);
  if (!format) {
    throw new DurnUserError(
      'UNSUPPORTED_FORMAT',
      expected(READABLE, `input ${label}`, `a ${meta.format} file`),
      {
        file: label,
        hint: 'Convert it to PNG or TIFF first.',
      },
    );
  }
  return format;
}

/** The photo with its pixels in working space as float32, whole (see decodeSource). */
export async function decodeImage(input: string | Buffer, opts: DecodeOptions = {}): Promise<DecodedImage> {
  const { source, alpha, ...rest } = await decodeSource(input, opts);
  return {
    ...rest,
    pixels: source.read({ x: 0, y: 0, width: rest.width, height: rest.height }),
    alpha: alpha ? alpha(0, rest.height) : null,
  };
}

/**
 * The photo with its samples kept as decoded (1 or 2 bytes each), converted to working-space
 * floats region by region as they are read: what restoring a large photo holds.
 */
export async function decodeSource(input: string | Buffer, opts: DecodeOptions = {}): Promise<DecodedSource> {
  const parsed = { data: parseWith(DecodeOptions, opts, 'the decode options') };
  const maxPixels = parsed.data.maxPixels ?? DEFAULT_MAX_PIXELS;
  const name = parsed.data.name ?? (typeof input === 'string' ? input : '<buffer>');
  const bytes = typeof input === 'string' ? await readInput(input) : input;
  if (bytes.length === 0) {
    throw new DurnUserError('INVALID_INPUT', expected(READABLE, `input ${name}`, 'an empty file (0 bytes)'), {
      file: name,
    });
  }

  // limitInputPixels guards decoders sharp runs before we see metadata (e.g. decompression bombs).
  // failOn 'warning' refuses truncated JPEG/PNG/WebP data, which libjpeg/libpng only warn about.
  // libtiff warns about harmless deviations (unterminated ASCII tags, unknown tags) and reports real
  // damage (unreadable strips or tiles) as errors, so TIFFs fail on errors only.
  const sharpOpts = {
    autoOrient: true,
    limitInputPixels: maxPixels,
    failOn: isTiff(bytes) ? 'error' : 'warning',
  } as const;
  let meta: Metadata;
  try {
    meta = await sharp(bytes, sharpOpts).metadata();
  } catch (err) {
    throw (await tooLarge(bytes, name, maxPixels)) ?? undecodable(name, err);
  }
  const format = inputFormat(meta);
  if (!format) {
    throw new DurnUserError(
      'UNSUPPORTED_FORMAT',
      expected(READABLE, `input ${name}`, `a ${meta.format} file`),
      {
        file: name,
        hint: 'Convert it to PNG or TIFF first.',
      },
    );
  }
  if ((meta.pages ?? 1) > 1) {
    // One image in, one image out: keeping page 1 of a scan or frame 1 of an animation silently
    // would lose the rest.
    const what =
      format === 'gif'
        ? `an animated GIF of ${meta.pages} frames`
        : `a ${format.toUpperCase()} of ${meta.pages} pages`;
    throw new DurnUserError('UNSUPPORTED_FORMAT', expected('a single image', `input ${name}`, what), {
      file: name,
      hint: 'durn restores one image per file: save each page or frame as its own file first.',
    });
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width * height > maxPixels) throw tooLargeError(name, width, height, maxPixels);
  const bitDepth = integerDepth(meta.depth);
  if (!bitDepth) {
    throw new DurnUserError(
      'UNSUPPORTED_FORMAT',
      expected(
        '8- or 16-bit unsigned integer samples',
        `input ${name}`,
        `${meta.depth} samples (${meta.space})`,
      ),
      {
        file: name,
        hint: 'Float and signed images are scientific data, not photos; convert to 16-bit unsigned TIFF.',
      },
    );
  }

  const icc = meta.icc ? Buffer.from(meta.icc) : null;
  const isGrey = meta.space === 'b-w' || meta.space === 'grey16';
  const transform =
    meta.space === 'cmyk' || meta.space === 'lab'
      ? ({ kind: 'lcms' } as const)
      : profileTransform(icc, isGrey);
  const is16 = bitDepth === 16;
  const colourspace = isGrey ? (is16 ? 'grey16' : 'b-w') : is16 ? 'rgb16' : 'srgb';

  let pipeline = sharp(bytes, sharpOpts);
  if (transform.kind === 'lcms') {
    // sharp converts 16-bit images to Display P3, not sRGB, unless told the output profile.
    if (is16) pipeline = pipeline.withIccProfile('srgb', { attach: false });
  } else {
    pipeline = pipeline.keepIccProfile(); // raw device values; our own transform follows
  }
  let raw: { data: Buffer; info: OutputInfo };
  try {
    // raw() defaults to uchar and clips 16-bit data: the depth must be named.
    raw = await pipeline
      .toColourspace(colourspace)
      .raw({ depth: is16 ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    raw = await tiledPlanarFallback(bytes, name, err, {
      is16,
      orientation: meta.orientation ?? 1,
      transform,
    });
  }

  const { info } = raw;
  const colours: 1 | 3 = isGrey ? 1 : 3;
  const alphaCount = info.channels - colours;
  if (alphaCount !== 0 && alphaCount !== 1) {
    throw new DurnUserError(
      'UNSUPPORTED_FORMAT',
      expected('1 to 4 channels', `input ${name}`, `${info.channels} channels`),
      {
        file: name,
      },
    );
  }
  const samples = is16
    ? new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.length / 2)
    : raw.data;
  const levels = is16 ? 65535 : 255;
  const compact = {
    samples,
    width: info.width,
    height: info.height,
    channels: info.channels,
    colours,
    levels,
  };
  // Converting grey+alpha to b-w drops the alpha channel: read it on its own.
  const alpha =
    alphaCount === 1
      ? interleavedAlpha(compact)
      : isGrey && meta.hasAlpha
        ? planeAlpha(await alphaPlane(bytes, sharpOpts, is16), info.width, levels)
        : null;

  return {
    source: compactSource(compact, transform),
    alpha,
    width: info.width,
    height: info.height,
    bitDepth,
    format,
    hasAlpha: alpha !== null,
    isGrey,
    iccProfile: icc,
    sourceSpace: describeSpace(icc, meta.space ?? 'unknown', transform.kind),
    colourTransform: transform.kind,
    orientation: meta.orientation ?? 1,
    pages: meta.pages ?? 1,
  };
}

async function alphaPlane(
  bytes: Buffer,
  opts: SharpOptions,
  is16: boolean,
): Promise<Uint8Array | Uint16Array> {
  const data = await sharp(bytes, opts)
    .extractChannel('alpha') // by name: sharp works in sRGB here, where grey's alpha is band 3
    .raw({ depth: is16 ? 'ushort' : 'uchar' })
    .toBuffer();
  return is16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data;
}

function isTiff(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4).toString('latin1');
  return head === 'II*\0' || head === 'MM\0*' || head === 'II+\0' || head === 'MM\0+';
}

/** libvips cannot read tiled TIFFs with separate planes; tiff-planar.ts decodes them per plane. */
async function tiledPlanarFallback(
  bytes: Buffer,
  name: string,
  err: unknown,
  o: { is16: boolean; orientation: number; transform: { kind: string } },
): Promise<{ data: Buffer; info: OutputInfo }> {
  if (!(err instanceof Error && /tiled separate planes/i.test(err.message)) || !isTiledPlanarTiff(bytes))
    throw undecodable(name, err);
  if (o.orientation !== 1 || o.transform.kind === 'lcms') {
    throw new DurnUserError(
      'UNSUPPORTED_FORMAT',
      expected(
        'an upright RGB or grey tiled planar TIFF',
        `input ${name}`,
        o.orientation !== 1 ? `orientation ${o.orientation}` : 'a CMYK, Lab or LUT-profile one',
      ),
      { file: name, hint: 'Save it with contiguous (chunky) samples or as strips.' },
    );
  }
  let planar: Awaited<ReturnType<typeof decodeTiledPlanar>>;
  try {
    planar = await decodeTiledPlanar(bytes, o.is16 ? 'ushort' : 'uchar');
  } catch (planeErr) {
    throw undecodable(name, planeErr);
  }
  if (!planar) throw undecodable(name, err);
  const { data, width, height, channels } = planar;
  const info = { format: 'raw', width, height, channels, size: data.length } as OutputInfo;
  return { data, info };
}

async function readInput(path: string): Promise<Buffer> {
  try {
    const s = await stat(path);
    if (!s.isFile())
      throw new DurnUserError(
        'INVALID_INPUT',
        expected(READABLE, `input ${path}`, 'a directory or special file'),
        { file: path },
      );
    return await readFile(path);
  } catch (err) {
    if (err instanceof DurnUserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT'
        ? 'a path that does not exist'
        : `a file that cannot be read (${code ?? String(err)})`;
    throw new DurnUserError('INVALID_INPUT', expected(READABLE, `input ${path}`, what), {
      file: path,
      cause: err,
    });
  }
}

const TOO_LARGE_HINT = 'Raise the limit with the maxPixels option if this machine has the memory.';

/** The pixel-limit error with the image's size and the limit, read from the header alone. */
async function tooLarge(bytes: Buffer, name: string, maxPixels: number): Promise<DurnUserError | null> {
  const meta = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch(() => null);
  const width = meta?.width ?? 0;
  const height = meta?.height ?? 0;
  return width * height <= maxPixels ? null : tooLargeError(name, width, height, maxPixels);
}

function tooLargeError(name: string, width: number, height: number, maxPixels: number): DurnUserError {
  return new DurnUserError(
    'IMAGE_TOO_LARGE',
    expected(
      `an image of at most ${maxPixels} pixels`,
      `input ${name}`,
      `${width}×${height} (${width * height} pixels)`,
    ),
    { file: name, hint: TOO_LARGE_HINT },
  );
}

function undecodable(name: string, err: unknown): DurnUserError {
  const reason = (err instanceof Error ? err.message.split('\n')[0] : String(err)) ?? 'unknown error';
  if (/pixel limit/i.test(reason)) {
    return new DurnUserError(
      'IMAGE_TOO_LARGE',
      expected('an image within the pixel limit', `input ${name}`, reason),
      { file: name },
    );
  }
  return new DurnUserError(
    'INVALID_INPUT',
    expected(READABLE, `input ${basename(name)}`, `a file sharp cannot decode: ${reason}`),
    { file: name, cause: err, hint: 'The file may be truncated, corrupt, or not an image.' },
  );
}

function inputFormat(meta: Metadata): InputFormat | null {
  switch (meta.format) {
    case 'jpeg':
    case 'png':
    case 'webp':
    case 'tiff':
    case 'gif':
      return meta.format;
    case 'heif':
      return meta.compression === 'av1' ? 'avif' : 'heif';
    default:
      return null; // svg, vips, raw ... are not photos durn restores
  }
}

function integerDepth(depth: string | undefined): BitDepth | null {
  if (depth === 'uchar') return 8;
  if (depth === 'ushort') return 16;
  return null;
}

function describeSpace(icc: Buffer | null, space: string, kind: string): string {
  if (!icc)
    return space === 'cmyk'
      ? 'CMYK (untagged, converted with a generic profile)'
      : `${space} (untagged, treated as sRGB)`;
  const info = parseIcc(icc);
  if (!info) return `unreadable ICC profile (${space}); converted by lcms`;
  return `${info.description ?? 'unnamed profile'} (ICC ${info.version} ${info.colourSpace.trim()}, ${kind})`;
}
