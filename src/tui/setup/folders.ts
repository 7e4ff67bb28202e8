/**
 * Folder browsing for the inputs screen: a folder's subfolders and photos, and how many photos a
 * folder holds (recursively, as `durn restore` searches folders). Counting stops at a cap so a
 * huge tree (a whole photo library) cannot stall the screen.
 */
import { opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isIgnoredName, isImageName } from '../../pipeline/run/inputs.ts';

export const COUNT_CAP = 10_000;

export interface ImageCount {
  readonly images: number;
  /** True when counting stopped at the cap: show "10000+". */
  readonly capped: boolean;
}

export interface FolderEntry {
  readonly name: string;
  readonly path: string;
  readonly kind: 'folder' | 'image';
}

export interface FolderListing {
  readonly folder: string;
  readonly entries: readonly FolderEntry[];
  /** Photos directly in the folder. */
  readonly images: number;
}

export async function listFolder(folder: string): Promise<FolderListing> {
  const entries: FolderEntry[] = [];
  let images = 0;
  const dir = await opendir(folder);
  for await (const d of dir) {
    if (isIgnoredName(d.name)) continue;
    const path = join(folder, d.name);
    const isDir = d.isDirectory() || (d.isSymbolicLink() && (await isFolder(path)));
    if (isDir) entries.push({ name: d.name, path, kind: 'folder' });
    else if (isImageName(d.name)) {
      entries.push({ name: d.name, path, kind: 'image' });
      images++;
    }
  }
  const byName = (a: FolderEntry, b: FolderEntry) =>
    a.name.localeCompare(b.name, undefined, { numeric: true });
  entries.sort((a, b) => (a.kind === b.kind ? byName(a, b) : a.kind === 'folder' ? -1 : 1));
  return { folder, entries, images };
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Photos under `folder`, recursively; symlinked folders are not followed (no cycles). */
export async function countImages(folder: string, cap = COUNT_CAP): Promise<ImageCount> {
  let images = 0;
  const stack = [folder];
  while (stack.length > 0) {
    const current = stack.pop()!;
    let dir: Awaited<ReturnType<typeof opendir>>;
    try {
      dir = await opendir(current);
    } catch {
      continue; // unreadable subfolders are skipped, as the run would report them
    }
    for await (const d of dir) {
      if (isIgnoredName(d.name)) continue;
      if (d.isDirectory()) stack.push(join(current, d.name));
      else if (isImageName(d.name) && ++images >= cap) return { images, capped: true };
    }
  }
  return { images, capped: false };
}

export type PathKind = { kind: 'folder' } | { kind: 'image' } | { kind: 'other' } | { kind: 'missing' };

export async function inspectPath(path: string): Promise<PathKind> {
  try {
    const s = await stat(path);
    if (s.isDirectory()) return { kind: 'folder' };
    return { kind: isImageName(path) ? 'image' : 'other' };
  } catch {
    return { kind: 'missing' };
  }
}

export function countText(c: ImageCount | undefined): string {
  if (!c) return '…';
  return `${c.images}${c.capped ? '+' : ''} ${c.images === 1 && !c.capped ? 'image' : 'images'}`;
}
