/**
 * Expands what the user typed (files, folders, globs) into the list of photos to restore, in a
 * stable order, without duplicates. Folders are searched recursively for image extensions;
 * explicitly named files are taken whatever their extension (so a bad file is reported, not
 * silently ignored).
 */
import { glob, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { DurnUserError } from '../../core/errors.ts';

export const IMAGE_EXTENSIONS = new Set([
  '.jpg',
  '.jpeg',
  '.jpe',
  '.png',
  '.webp',
  '.tif',
  '.tiff',
  '.avif',
  '.heic',
  '.heif',
  '.gif',
]);

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/** Hidden files, editor/download partials and durn's own temp files are never inputs. */
export function isIgnoredName(name: string): boolean {
  const base = basename(name);
  return (
    base.startsWith('.') ||
    base.startsWith('~$') ||
    /\.(part|crdownload|download|tmp|partial)$/i.test(base) ||
    base.includes('.durn-tmp-')
  );
}

const GLOB_CHARS = /[*?[\]{}]/;

export interface ExpandOptions {
  /** Folders whose contents are never inputs (e.g. the output folder inside the input folder). */
  readonly exclude?: readonly string[];
}

export async function expandInputs(patterns: readonly string[], opts: ExpandOptions = {}): Promise<string[]> {
  if (patterns.length === 0) {
    throw new DurnUserError(
      'INVALID_OPTION',
      'Expected at least one file, folder or glob for the inputs but received none',
      {
        hint: 'e.g. `durn restore photos/ --task denoise`',
      },
    );
  }
  const excluded = (opts.exclude ?? []).map((p) => resolve(p));
  const isExcluded = (p: string) => excluded.some((e) => p === e || p.startsWith(e + '/'));
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (p: string) => {
    const abs = resolve(p);
    if (!seen.has(abs) && !isExcluded(abs)) {
      seen.add(abs);
      out.push(abs);
    }
  };
  for (const pattern of patterns) {
    const info = await stat(pattern).catch(() => null);
    if (info?.isFile()) {
      add(pattern);
    } else if (info?.isDirectory()) {
      const found: string[] = [];
      for await (const rel of glob('**/*', { cwd: pattern })) {
        const full = join(pattern, rel);
        if (isImageName(rel) && !rel.split('/').some(isIgnoredName) && !isExcluded(resolve(full)))
          found.push(full);
      }
      found.sort().forEach(add);
    } else if (GLOB_CHARS.test(pattern)) {
      const found: string[] = [];
      for await (const p of glob(pattern)) {
        if (!isIgnoredName(p) && (await stat(p).catch(() => null))?.isFile()) found.push(p);
      }
      if (found.length === 0) {
        throw new DurnUserError('INVALID_INPUT', `Expected files matching ${pattern} but received no match`);
      }
      found.sort().forEach(add);
    } else {
      throw new DurnUserError(
        'INVALID_INPUT',
        `Expected a file, folder or glob for input ${pattern} but received a path that does not exist`,
        {
          file: pattern,
        },
      );
    }
  }
  return out;
}
