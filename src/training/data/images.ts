/**
 * Training images: listed from a folder, decoded once with sharp and cached as 8-bit interleaved
 * pixels in one SharedArrayBuffer per folder. uint8 keeps 300 BSDS photos at 46 MB (grey) or
 * 139 MB (RGB), a quarter of float32, and the shared buffer lets every worker thread read the same
 * copy without cloning it.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, parse, resolve } from 'node:path';
import sharp from 'sharp';
import { DurnUserError, expected } from '../../core/errors.ts';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.bmp', '.gif', '.avif'];

export interface CachedImageInfo {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Byte offset of the first pixel in the shared buffer; pixels are row-major, channels interleaved. */
  readonly offset: number;
}

/** Decoded images of one folder: structured-clonable, so it crosses to workers without copying pixels. */
export interface ImageSet {
  readonly folder: string;
  readonly channels: 1 | 3;
  readonly images: readonly CachedImageInfo[];
  readonly pixels: SharedArrayBuffer;
}

/** Clean images and, for real pairs, the degraded images under the same names and sizes. */
export interface TrainingImages {
  readonly clean: ImageSet;
  readonly degraded: ImageSet | null;
}

/** Image files in a folder (not recursive), sorted by name so the index of each image is stable. */
export async function listImages(folder: string): Promise<string[]> {
  let names: string[];
  try {
    if (!(await stat(folder)).isDirectory()) throw new Error('not a folder');
    names = await readdir(folder);
  } catch (err) {
    throw new DurnUserError('INVALID_INPUT', `Cannot read the image folder ${folder}`, {
      file: folder,
      hint: 'Pass a folder of photos (JPEG, PNG, WebP, TIFF).',
      cause: err,
    });
  }
  const files = names
    .filter((n) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase()) && !n.startsWith('.'))
    .sort();
  if (files.length === 0) {
    throw new DurnUserError('INVALID_INPUT', `No images found in ${folder}`, {
      file: folder,
      hint: `The folder must contain image files (${IMAGE_EXTENSIONS.join(', ')}).`,
    });
  }
  return files;
}

/**
 * Pairs clean and degraded files by name without extension (photo.png ↔ photo.jpg). Every file
 * must have a partner: training on a silently shrunken set is worse than an error.
 */
export function matchPairs(clean: readonly string[], degraded: readonly string[]): [string, string][] {
  const stem = (n: string) => parse(n).name;
  const byStem = new Map<string, string>();
  const duplicates: string[] = [];
  for (const d of degraded) {
    if (byStem.has(stem(d))) duplicates.push(d);
    byStem.set(stem(d), d);
  }
  if (duplicates.length > 0) {
    throw new DurnUserError('INVALID_INPUT', `Several degraded images share a name: ${preview(duplicates)}`, {
      hint: 'Keep one file per name in the --pairs folder.',
    });
  }
  const pairs: [string, string][] = [];
  const missing: string[] = [];
  const used = new Set<string>();
  for (const c of clean) {
    const d = byStem.get(stem(c));
    if (d === undefined) missing.push(c);
    else {
      pairs.push([c, d]);
      used.add(d);
    }
  }
  const extra = degraded.filter((d) => !used.has(d));
  if (missing.length > 0 || extra.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0)
      parts.push(`${missing.length} clean image(s) without a degraded partner: ${preview(missing)}`);
    if (extra.length > 0)
      parts.push(`${extra.length} degraded image(s) without a clean partner: ${preview(extra)}`);
    throw new DurnUserError(
      'INVALID_INPUT',
      `The --data and --pairs folders do not match: ${parts.join('; ')}`,
      {
        hint: 'Each degraded image must have the same file name (any extension) as its clean original.',
      },
    );
  }
  return pairs;
}

function preview(names: readonly string[]): string {
  return names.length <= 8
    ? names.join(', ')
    : `${names.slice(0, 8).join(', ')} and ${names.length - 8} more`;
}

interface Decoded {
  name: string;
  width: number;
  height: number;
  data: Buffer;
}

async function decode(folder: string, name: string, channels: 1 | 3): Promise<Decoded> {
  // Names from a second --data folder are absolute paths (see loadTrainingImages).
  const file = resolve(folder, name);
  try {
    // rotate() applies EXIF orientation; removeAlpha/toColourspace pin the channel count.
    let pipeline = sharp(file, { failOn: 'error' }).rotate().removeAlpha();
    pipeline = channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== channels)
      throw new Error(`decoded ${info.channels} channels instead of ${channels}`);
    return { name, width: info.width, height: info.height, data };
  } catch (err) {
    throw new DurnUserError('INVALID_INPUT', `Cannot decode ${file}: ${(err as Error).message}`, {
      file,
      cause: err,
    });
  }
}

/** Decodes `names` (in order) into one shared buffer; `concurrency` decodes run at once. */
export async function decodeImageSet(
  folder: string,
  names: readonly string[],
  channels: 1 | 3,
  concurrency = 4,
): Promise<ImageSet> {
  const decoded: Decoded[] = new Array(names.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, names.length) }, async () => {
      while (next < names.length) {
        const i = next++;
        decoded[i] = await decode(folder, names[i]!, channels);
      }
    }),
  );
  const total = decoded.reduce((s, d) => s + d.data.length, 0);
  const pixels = new SharedArrayBuffer(total);
  const view = new Uint8Array(pixels);
  const images: CachedImageInfo[] = [];
  let offset = 0;
  for (const d of decoded) {
    view.set(d.data, offset);
    images.push({ name: d.name, width: d.width, height: d.height, offset });
    offset += d.data.length;
  }
  return { folder, channels, images, pixels };
}

/**
 * Loads --data (and --pairs), checking that paired images have the same size. Several --data
 * folders (e.g. BSDS500 train and val, the paper's 300 training photos) become one set: the first
 * folder's files by name, then each further folder's as absolute paths.
 */
export async function loadTrainingImages(o: {
  data: string | readonly string[];
  pairs?: string | undefined;
  channels: 1 | 3;
  limit?: number | undefined;
}): Promise<TrainingImages> {
  const folders = typeof o.data === 'string' ? [o.data] : o.data;
  const first = folders[0]!;
  if (folders.length > 1) {
    if (o.pairs) {
      throw new DurnUserError(
        'INVALID_OPTION',
        expected('one --data folder', 'training with --pairs', folders.join(', ')),
        {
          hint: 'Real pairs train from one folder of clean photos and one of their degraded versions.',
        },
      );
    }
    let names = await listImages(first);
    for (const folder of folders.slice(1)) {
      names = names.concat((await listImages(folder)).map((n) => resolve(folder, n)));
    }
    if (o.limit !== undefined) names = names.slice(0, o.limit);
    const set = await decodeImageSet(first, names, o.channels);
    return { clean: { ...set, folder: folders.join(', ') }, degraded: null };
  }
  let names = await listImages(first);
  if (!o.pairs) {
    if (o.limit !== undefined) names = names.slice(0, o.limit);
    return { clean: await decodeImageSet(first, names, o.channels), degraded: null };
  }
  let pairs = matchPairs(names, await listImages(o.pairs));
  if (o.limit !== undefined) pairs = pairs.slice(0, o.limit);
  const clean = await decodeImageSet(
    first,
    pairs.map((p) => p[0]),
    o.channels,
  );
  const degraded = await decodeImageSet(
    o.pairs,
    pairs.map((p) => p[1]),
    o.channels,
  );
  const wrong = clean.images
    .map((c, i) => [c, degraded.images[i]!] as const)
    .filter(([c, d]) => c.width !== d.width || c.height !== d.height)
    .map(([c, d]) => `${c.name} ${c.width}×${c.height} vs ${d.name} ${d.width}×${d.height}`);
  if (wrong.length > 0) {
    throw new DurnUserError('INVALID_INPUT', `Paired images differ in size: ${preview(wrong)}`, {
      hint: 'A degraded image must have exactly the size of its clean original.',
    });
  }
  return { clean, degraded };
}

/** Bytes the cache holds, for the run report. */
export function cacheBytes(images: TrainingImages): number {
  return images.clean.pixels.byteLength + (images.degraded?.pixels.byteLength ?? 0);
}
