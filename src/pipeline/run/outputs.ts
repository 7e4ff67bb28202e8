/**
 * Where each restored photo goes. Pure: the same inputs always give the same output path, and an
 * output can never be the input itself (originals are never overwritten, even with --overwrite).
 */
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { DurnUserError } from '../../core/errors.ts';

export type OutputFormat = 'jpeg' | 'png' | 'webp' | 'tiff' | 'avif' | 'heif';

const EXTENSION: Record<OutputFormat, string> = {
  jpeg: '.jpg',
  png: '.png',
  webp: '.webp',
  tiff: '.tif',
  avif: '.avif',
  heif: '.heic',
};

const SPELLINGS: Record<OutputFormat, string[]> = {
  jpeg: ['.jpg', '.jpeg', '.jpe'],
  png: ['.png'],
  webp: ['.webp'],
  tiff: ['.tif', '.tiff'],
  avif: ['.avif'],
  heif: ['.heic', '.heif'],
};

/**
 * Inputs whose own format durn does not write get the format it writes for them: GIF → PNG
 * (lossless, keeps alpha), HEIC → AVIF (this sharp build has no HEVC encoder).
 */
const DEFAULT_OUTPUT: Record<string, string> = { '.gif': '.png', '.heic': '.avif', '.heif': '.avif' };

export interface OutputNaming {
  /** Output folder; default: beside each input. */
  readonly outDir?: string;
  /** Appended to the file name; default "-restored" beside the input, "" in another folder. */
  readonly suffix?: string;
  /** Root the inputs were found under, to mirror sub-folders into outDir. */
  readonly baseDir?: string;
}

export function outputPath(input: string, format: OutputFormat | null, naming: OutputNaming): string {
  const abs = resolve(input);
  const ext = extname(abs);
  const stem = basename(abs, ext);
  const outExt = format ? keepExtensionSpelling(ext, format) : (DEFAULT_OUTPUT[ext.toLowerCase()] ?? ext);
  let dir = dirname(abs);
  if (naming.outDir) {
    const rel = naming.baseDir ? relative(resolve(naming.baseDir), dir) : '';
    dir = rel && !rel.startsWith('..') ? join(resolve(naming.outDir), rel) : resolve(naming.outDir);
  }
  const suffix = naming.suffix ?? (dir === dirname(abs) ? '-restored' : '');
  const out = join(dir, `${stem}${suffix}${outExt}`);
  if (out === abs) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected an output path different from the input for ${input} but both are ${out}`,
      {
        hint: 'durn never overwrites originals: choose another output folder or suffix',
        file: input,
      },
    );
  }
  return out;
}

/** Keeps the user's spelling (.jpeg, .JPG, .tiff) when the format doesn't change. */
function keepExtensionSpelling(ext: string, format: OutputFormat): string {
  return SPELLINGS[format].includes(ext.toLowerCase()) ? ext : EXTENSION[format];
}

/** True when the path ends in an extension durn writes. */
export function imageExtension(path: string): boolean {
  return Object.values(SPELLINGS).some((exts) => exts.includes(extname(path).toLowerCase()));
}

/** The format an output path's extension names (what encoding writes to it). */
export function formatOfPath(path: string): OutputFormat {
  const ext = extname(path).toLowerCase();
  for (const [format, exts] of Object.entries(SPELLINGS) as [OutputFormat, string[]][]) {
    if (exts.includes(ext)) return format;
  }
  throw new DurnUserError(
    'INVALID_OPTION',
    `Expected an output name ending in an image extension (${Object.values(SPELLINGS).flat().join(', ')}) for ${path} but received ${ext ? `"${ext}"` : 'no extension'}`,
    { file: path },
  );
}
