/**
 * Atomic file writes: the bytes go to a temporary file in the destination folder (same file
 * system, so rename is atomic), are flushed, then renamed into place. On any failure the temporary
 * file is removed, so a reader never sees a half-written weights file.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DurnUserError } from '../../errors.ts';

export async function writeFileAtomic(path: string, data: Uint8Array, overwrite: boolean): Promise<void> {
  const dir = dirname(path);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new DurnUserError('IO', `Cannot write ${path}: the folder ${dir} does not exist`, {
      file: path,
      cause: err,
    });
  }
  if (!overwrite && (await exists(path))) {
    throw new DurnUserError('OUTPUT_EXISTS', `${path} already exists`, {
      file: path,
      hint: 'Choose another output file, or pass --overwrite to replace it.',
    });
  }
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (overwrite) {
      await rename(tmp, path);
    } else {
      // link() fails if the destination appeared meanwhile, so a concurrent writer is never clobbered.
      try {
        await link(tmp, path);
        await unlink(tmp);
      } catch (err) {
        // File systems without hard links (FAT, some network shares): check, then rename.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
        if (await exists(path)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
        await rename(tmp, path);
      }
    }
  } catch (err) {
    await unlink(tmp).catch(() => {});
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DurnUserError('OUTPUT_EXISTS', `${path} already exists`, { file: path, cause: err });
    }
    if (err instanceof DurnUserError) throw err;
    throw new DurnUserError('IO', `Cannot write ${path}: ${(err as Error).message}`, {
      file: path,
      cause: err,
    });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
