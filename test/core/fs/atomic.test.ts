import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import {
  cleanStaleTempFiles,
  durnTempName,
  isDurnTempFile,
  writeFileAtomic,
} from '../../../src/core/fs/atomic.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bytes = (s: string) => new TextEncoder().encode(s);

describe('writeFileAtomic', () => {
  it('writes a new file and leaves no temp file behind', async () => {
    const out = join(dir, 'photo.jpg');
    await writeFileAtomic(out, bytes('new'), { overwrite: false });
    expect(await readFile(out, 'utf8')).toBe('new');
    expect(await readdir(dir)).toEqual(['photo.jpg']);
  });

  it('refuses an existing output with OUTPUT_EXISTS and leaves it untouched', async () => {
    const out = join(dir, 'photo.jpg');
    await writeFile(out, 'original');
    let producerRan = false;
    const err = await writeFileAtomic(
      out,
      async (temp) => {
        producerRan = true;
        await writeFile(temp, 'new');
      },
      { overwrite: false },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DurnUserError);
    expect(err).toMatchObject({ code: 'OUTPUT_EXISTS', file: out });
    expect((err as Error).message).toContain(out);
    expect(producerRan).toBe(false); // refused before any work
    expect(await readFile(out, 'utf8')).toBe('original');
    expect(await readdir(dir)).toEqual(['photo.jpg']);
  });

  it('replaces an existing output with overwrite', async () => {
    const out = join(dir, 'photo.png');
    await writeFile(out, 'original');
    await writeFileAtomic(out, bytes('replaced'), { overwrite: true });
    expect(await readFile(out, 'utf8')).toBe('replaced');
    expect(await readdir(dir)).toEqual(['photo.png']);
  });

  it('gives the producer a hidden temp path next to the output, keeping the extension', async () => {
    const out = join(dir, 'photo.tiff');
    let seen = '';
    await writeFileAtomic(
      out,
      async (temp) => {
        seen = temp;
        await writeFile(temp, 'x');
      },
      { overwrite: false },
    );
    expect(seen.startsWith(join(dir, '.photo.durn-tmp-'))).toBe(true);
    expect(seen.endsWith('.tiff')).toBe(true);
    expect(isDurnTempFile(seen)).toBe(true);
  });

  it('a producer that throws leaves neither output nor temp, and its error comes through', async () => {
    const out = join(dir, 'photo.jpg');
    const boom = new Error('encoder exploded');
    const err = await writeFileAtomic(
      out,
      async (temp) => {
        await writeFile(temp, 'half a file');
        throw boom;
      },
      { overwrite: false },
    ).catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(await readdir(dir)).toEqual([]);
  });

  it('a failing producer under overwrite keeps the old file', async () => {
    const out = join(dir, 'photo.jpg');
    await writeFile(out, 'original');
    await expect(
      writeFileAtomic(
        out,
        async (temp) => {
          await writeFile(temp, 'partial');
          throw new Error('no');
        },
        { overwrite: true },
      ),
    ).rejects.toThrow('no');
    expect(await readFile(out, 'utf8')).toBe('original');
    expect(await readdir(dir)).toEqual(['photo.jpg']);
  });

  it('concurrent writers to one path without overwrite: exactly one wins, intact', async () => {
    const out = join(dir, 'race.jpg');
    const n = 8;
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        writeFileAtomic(
          out,
          async (temp) => {
            await writeFile(temp, `writer ${i} `.repeat(1000));
          },
          { overwrite: false },
        ),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(n - 1);
    for (const r of lost) expect(r.reason).toMatchObject({ name: 'DurnUserError', code: 'OUTPUT_EXISTS' });
    const content = await readFile(out, 'utf8');
    expect(content).toMatch(/^(writer \d+ )+$/);
    expect(new Set(content.trim().split(/ (?=writer)/)).size).toBe(1); // one writer's bytes, not a mix
    expect(await readdir(dir)).toEqual(['race.jpg']);
  });

  it('wraps file-system errors as IO naming the output', async () => {
    const out = join(dir, 'missing-folder', 'photo.jpg');
    await expect(writeFileAtomic(out, bytes('x'), { overwrite: true })).rejects.toMatchObject({
      name: 'DurnUserError',
      code: 'IO',
      file: out,
    });
  });
});

describe('temp files', () => {
  it('isDurnTempFile knows durn temp names and nothing else', () => {
    for (const name of ['photo.jpg', 'IMG_0001.CR2', 'x.jpg', 'photo.jpg.bak', '.hidden.jpg'])
      expect(isDurnTempFile(name), name).toBe(false);
    expect(isDurnTempFile('.photo.durn-tmp-0123456789ab.jpg')).toBe(true);
    expect(isDurnTempFile('/some/dir/.photo.durn-tmp-0123456789ab')).toBe(true);
    expect(isDurnTempFile('.photo.durn-tmp-0123.jpg')).toBe(false); // too few hex digits
    expect(isDurnTempFile('photo.durn-tmp-0123456789ab.jpg')).toBe(false); // not hidden
    for (const name of ['a.jpg', 'my photo.tif', 'noext', 'x.y.webp']) {
      const temp = durnTempName(name);
      expect(isDurnTempFile(temp), temp).toBe(true);
      expect(durnTempName(name)).not.toBe(temp); // random part
    }
  });

  it('cleanStaleTempFiles removes only old durn temp files', async () => {
    const old = '.a.durn-tmp-aaaaaaaaaaaa.jpg';
    const young = '.b.durn-tmp-bbbbbbbbbbbb.jpg';
    const photo = 'c.jpg';
    const oldPhoto = 'd.jpg';
    for (const f of [old, young, photo, oldPhoto]) await writeFile(join(dir, f), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(dir, old), twoHoursAgo, twoHoursAgo);
    await utimes(join(dir, oldPhoto), twoHoursAgo, twoHoursAgo);
    expect(await cleanStaleTempFiles(dir)).toEqual([old]);
    expect((await readdir(dir)).sort()).toEqual([young, photo, oldPhoto].sort());
    expect(await cleanStaleTempFiles(dir, 0)).toEqual([young]);
    expect((await readdir(dir)).sort()).toEqual([photo, oldPhoto].sort());
  });
});
