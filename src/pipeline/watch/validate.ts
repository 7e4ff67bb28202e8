/**
 * Checks the watch folders before anything is watched: the input must be a folder, and no folder
 * durn writes into may be the input or contain it (the watcher would then ignore every photo, or
 * feed its own outputs back to itself).
 */
import { stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { DurnUserError, expected } from '../../core/errors.ts';

export interface Folders {
  readonly input: string;
  readonly out: string;
  readonly failed: string;
  readonly processed: string | null;
  readonly opts: { readonly deleteOriginals?: boolean; readonly processed?: string };
}

const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer + sep);

export async function validateFolders(f: Folders): Promise<void> {
  const info = await stat(f.input).catch(() => null);
  if (!info?.isDirectory()) {
    throw new DurnUserError(
      'INVALID_INPUT',
      expected('a folder', 'the watch input', info ? `file ${f.input}` : `missing path ${f.input}`),
      { hint: 'Create the folder first, or point `durn watch` at an existing one.', file: f.input },
    );
  }
  const named: [string, string | null][] = [
    ['--out', f.out],
    ['--failed', f.failed],
    ['--processed', f.processed],
  ];
  for (const [flag, dir] of named) {
    if (dir && within(f.input, dir)) {
      throw new DurnUserError(
        'INVALID_OPTION',
        expected(`a folder that does not contain the input ${f.input}`, flag, dir),
        { hint: `Use a ${flag} folder beside or inside the input folder, not above it.` },
      );
    }
  }
  if (f.processed && f.opts.deleteOriginals) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected('either --processed or --delete-originals', 'the originals', 'both'),
      { hint: 'Keep originals in a processed folder, or delete them; not both.' },
    );
  }
}
