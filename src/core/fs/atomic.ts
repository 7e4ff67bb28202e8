/**
 * Crash-safe output writing. Data goes to a temp file next to the destination (same filesystem,
 * so the final step is atomic), is fsynced, then moved into place:
 * - overwrite: rename(2), atomically replacing any existing file;
 * - no overwrite: link(2), which fails with EEXIST instead of racing a check-then-rename.
 * Readers therefore see either nothing, the old file, or the complete new file; never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { access, constants, link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { DurnUserError, fsReason } from '../errors.ts';

const TEMP_MARK = '.durn-tmp-';
const TEMP_RE = /^\..+\.durn-tmp-[0-9a-f]{12}(\.[A-Za-z0-9]{1,8})?$/;

/**
 * Temp name in the destination folder: `.<stem>.durn-tmp-<12 hex><ext>`, hidden and recognisable.
 * The extension is kept last because ExifTool picks the writer by extension.
 */
export function durnTempName(name: string): string {
  const ext = extname(name);
  const stem = ext ? name.slice(0, -ext.length) : name;
  return `.${stem}${TEMP_MARK}${randomBytes(6).toString('hex')}${ext}`;
}

/** True for durn's in-progress temp files; watchers must ignore them. */
export function isDurnTempFile(name: string): boolean {
  return TEMP_RE.test(basename(name));
}

export type Producer = (tempPath: string) => Promise<void>;

export interface WriteAtomicOptions {
  readonly overwrite: boolean;
}

/**
 * Writes `data` (or whatever `producer` writes to the temp path it is given, e.g. ExifTool) to
 * `path` atomically. Throws OUTPUT_EXISTS when `path` exists and overwrite is false.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | Producer,
  opts: WriteAtomicOptions,
): Promise<void> {
  if (!opts.overwrite && (await exists(path))) throw outputExistsError(path); // early, before any work
  const temp = join(dirname(path), durnTempName(basename(path)));
  try {
    if (typeof data === 'function') {
      await data(temp);
    } else {
      const fh = await open(temp, 'wx');
      try {
        await fh.writeFile(data);
      } finally {
        await fh.close();
      }
    }
    await fsyncPath(temp);
    if (opts.overwrite) {
      await rename(temp, path);
    } else {
      try {
        await link(temp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw outputExistsError(path);
        if (!isLinkUnsupported(err)) throw err;
        // Filesystems without hard links (FAT, some network mounts): the check above is the guard.
        if (await exists(path)) throw outputExistsError(path);
        await rename(temp, path);
      }
    }
    await fsyncPath(dirname(path)).catch(() => undefined); // persist the directory entry where allowed
  } catch (err) {
    throw wrapIo(err, path);
  } finally {
    await unlink(temp).catch(() => undefined); // after link() the temp name is just a second link
  }
}

/**
 * Removes durn temp files in `dir` older than `olderThanMs` (left by a crash or kill -9).
 * Returns the names removed. Young ones may belong to a run still in progress.
 */
export async function cleanStaleTempFiles(dir: string, olderThanMs = 60 * 60 * 1000): Promise<string[]> {
  const removed: string[] = [];
  const now = Date.now();
  for (const name of await readdir(dir)) {
    if (!isDurnTempFile(name)) continue;
    const full = join(dir, name);
    try {
      const s = await stat(full);
      if (s.isFile() && now - s.mtimeMs >= olderThanMs) {
        await unlink(full);
        removed.push(name);
      }
    } catch {
      // vanished meanwhile: another process finished or cleaned it
    }
  }
  return removed;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function isLinkUnsupported(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV';
}

export function outputExistsError(path: string): DurnUserError {
  return new DurnUserError('OUTPUT_EXISTS', `Expected a free output path for ${path} but it already exists`, {
    file: path,
    hint: 'Choose another output name, or ask to overwrite it.',
  });
}

function wrapIo(err: unknown, path: string): unknown {
  if (err instanceof DurnUserError) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string') return err;
  return new DurnUserError(
    'IO',
    `Expected a writable output path for ${path} but received ${fsReason(err)}`,
    {
      file: path,
      cause: err,
      hint:
        e.code === 'ENOSPC'
          ? 'The disk is full.'
          : e.code === 'EACCES'
            ? 'Check the folder permissions.'
            : undefined,
    },
  );
}

/**
 * `mkdir -p` that fails instead of looping: Node's recursive mkdir spins forever at 100% CPU on
 * paths such as /proc/nope (ENOENT for a parent that exists). Creates each missing level itself
 * and says which folder could not be made, and why.
 */
export async function ensureDir(dir: string): Promise<void> {
  for (const d of missingLevels(dir)) {
    try {
      await mkdir(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(d)).isDirectory()) continue;
      throw cannotCreate(dir, d, err);
    }
  }
}

/** ensureDir, then a check that files can be written there: an unusable folder fails before any work. */
export async function usableFolder(dir: string): Promise<void> {
  await ensureDir(dir);
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new DurnUserError(
      'IO',
      `Expected a folder you can write to for ${dir} but it is read-only for you`,
      {
        file: dir,
        cause: err,
        hint: 'Choose an output folder you can write to.',
      },
    );
  }
}

/** ensureDir for synchronous callers (the watch ledger opens synchronously). */
export function ensureDirSync(dir: string): void {
  for (const d of missingLevels(dir)) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      throw cannotCreate(dir, d, err);
    }
  }
}

/**
 * The folders to create, outermost first; throws when a level exists but is not a folder. A
 * handful of stat calls, synchronous for both callers.
 */
function missingLevels(dir: string): string[] {
  const missing: string[] = [];
  let cur = resolve(dir);
  for (;;) {
    let s: { isDirectory(): boolean } | null = null;
    try {
      s = statSync(cur);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw cannotCreate(dir, cur, err);
    }
    if (s) {
      if (!s.isDirectory()) {
        throw new DurnUserError('IO', `Expected a folder for ${dir} but ${cur} is a file`, {
          file: dir,
          hint: 'Choose another output folder.',
        });
      }
      break;
    }
    missing.unshift(cur);
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  return missing;
}

function cannotCreate(dir: string, level: string, err: unknown): DurnUserError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'the file system does not allow it',
    ENOSPC: 'the disk is full',
    ENOTDIR: 'a parent is a file',
  };
  return new DurnUserError(
    'IO',
    `Expected a folder that can be created for ${dir} but creating ${level} failed: ${why[code] ?? code}`,
    { file: dir, cause: err, hint: 'Choose an output folder you can write to.' },
  );
}
