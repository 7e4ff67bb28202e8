/**
 * File chores of the watch folder: content hashes, moving originals without ever replacing another
 * file (a second IMG_0001.JPG must not overwrite the first in the processed or failed folder), the
 * one-watcher-per-output lock, and telling transient errors from real ones.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { copyFile, link, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { DurnUserError } from '../../core/errors.ts';
import { cleanStaleTempFiles, ensureDir } from '../../core/fs/atomic.ts';

const TRANSIENT = new Set(['EBUSY', 'EAGAIN', 'ENOSPC', 'EMFILE', 'ENFILE', 'ETXTBSY', 'EDQUOT']);

/** True when the error, or any error it wraps (restoreFile wraps I/O errors), may go away by itself. */
export function isTransient(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT.has(code)) return true;
  }
  return false;
}

export async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** `photo.jpg`, `photo-2.jpg`, `photo-3.jpg`… */
export function numbered(path: string, n: number): string {
  if (n < 2) return path;
  const ext = extname(path);
  return `${path.slice(0, path.length - ext.length)}-${n}${ext}`;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/**
 * Moves `src` to `dest`, or to `dest-2`, `dest-3`… when taken; returns where it went. link(2) then
 * unlink(2) never replaces an existing file; across filesystems it copies (exclusively) instead.
 */
export async function moveNoClobber(src: string, dest: string): Promise<string> {
  await ensureDir(dirname(dest));
  for (let n = 1; ; n++) {
    const target = numbered(dest, n);
    try {
      await link(src, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'EXDEV') {
        try {
          await copyFile(src, target, constants.COPYFILE_EXCL);
        } catch (copyErr) {
          if ((copyErr as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw copyErr;
        }
      } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
        // No hard links here (FAT, some network mounts): check, then rename.
        if (await exists(target)) continue;
        await rename(src, target);
        return target;
      } else {
        throw err;
      }
    }
    await unlink(src);
    return target;
  }
}

/** Every durn temp file under `dir`, at any depth, removed (they are left only by a killed run). */
export async function removeTempFiles(dir: string): Promise<number> {
  let removed = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  removed += (await cleanStaleTempFiles(dir, 0).catch(() => [])).length;
  for (const e of entries) if (e.isDirectory()) removed += await removeTempFiles(join(dir, e.name));
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One watcher per output folder: two would share the ledger and restore the same photo twice. The
 * lock file holds the owner's pid; a lock whose process is gone (kill -9, power cut) is taken over.
 */
export async function acquireLock(file: string): Promise<() => Promise<void>> {
  await ensureDir(dirname(file));
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return () => unlink(file).catch(() => undefined);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new DurnUserError(
        'INVALID_OPTION',
        `Expected no other watcher holding ${file} but received one running as process ${pid}`,
        { hint: 'Stop the other `durn watch`, or use another --out folder.' },
      );
    }
    await unlink(file).catch(() => undefined); // stale: its owner died
  }
  throw new DurnUserError('IO', `Could not take the watch lock ${file}`, {
    hint: 'Another durn watch may be starting on the same output folder.',
  });
}
