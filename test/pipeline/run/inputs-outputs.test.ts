import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs, isIgnoredName } from '../../../src/pipeline/run/inputs.ts';
import { outputPath } from '../../../src/pipeline/run/outputs.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-inputs-'));
  await mkdir(join(dir, 'in/sub'), { recursive: true });
  await mkdir(join(dir, 'in/out'), { recursive: true });
  for (const f of [
    'a.jpg',
    'b.PNG',
    'notes.txt',
    '.hidden.jpg',
    'c.jpg.part',
    'sub/d.tif',
    'out/done.jpg',
    '.x.durn-tmp-1.png',
  ]) {
    await writeFile(join(dir, 'in', f), 'x');
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('expandInputs', () => {
  it('finds images in folders recursively, skipping hidden, partial, temp and excluded files', async () => {
    const files = await expandInputs([join(dir, 'in')], { exclude: [join(dir, 'in/out')] });
    expect(files.map((f) => f.slice(dir.length + 4))).toEqual(['a.jpg', 'b.PNG', 'sub/d.tif']);
  });
  it('takes an explicitly named file whatever its extension, once', async () => {
    const files = await expandInputs([
      join(dir, 'in/notes.txt'),
      join(dir, 'in/a.jpg'),
      join(dir, 'in/a.jpg'),
    ]);
    expect(files).toEqual([join(dir, 'in/notes.txt'), join(dir, 'in/a.jpg')]);
  });
  it('expands globs and says when one matches nothing', async () => {
    expect(await expandInputs([join(dir, 'in/*.jpg')])).toEqual([join(dir, 'in/a.jpg')]);
    await expect(expandInputs([join(dir, 'in/*.gif')])).rejects.toThrow(
      /Expected files matching .*\*\.gif but received no match/,
    );
  });
  it('names a path that does not exist', async () => {
    await expect(expandInputs([join(dir, 'nope.jpg')])).rejects.toThrow(
      /nope\.jpg but received a path that does not exist/,
    );
  });
  it('recognises names that are never inputs', () => {
    expect(
      ['.DS_Store', '~$doc.jpg', 'x.crdownload', 'y.part', '.a.durn-tmp-z.png'].every(isIgnoredName),
    ).toBe(true);
    expect(isIgnoredName('photo.jpg')).toBe(false);
  });
});

describe('outputPath', () => {
  it('writes beside the input with a suffix by default', () => {
    expect(outputPath('/p/a.jpeg', null, {})).toBe('/p/a-restored.jpeg');
    expect(outputPath('/p/a.jpeg', 'png', {})).toBe('/p/a-restored.png');
  });
  it('mirrors sub-folders into the output folder', () => {
    expect(outputPath('/p/in/sub/a.tif', 'tiff', { outDir: '/q', baseDir: '/p/in' })).toBe('/q/sub/a.tif');
  });
  it('never names the input itself as the output', () => {
    expect(() => outputPath('/p/a.jpg', null, { outDir: '/p', suffix: '' })).toThrow(
      /different from the input/,
    );
  });
});
