/**
 * Every user error of the library is a DurnUserError with a code and a hint, worded for library
 * users (options, not CLI flags), saying what was received in plain words; failed calls leave no
 * temp folder behind, and no ExifTool process outlives the last restorer's close().
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestorer, DurnUserError, restore } from '../src/index.ts';
import { closeMetadata, isMetadataOpen } from '../src/pipeline/metadata/exiftool.ts';
import { writePhotos } from './helpers/binary.ts';
import { writeScratchWeights } from './helpers/models.ts';

let dir: string;
let scratchTmp: string;
const saved = { models: process.env.DURN_MODELS_DIR, tmp: process.env.TMPDIR };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-api-errors-'));
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  await writeScratchWeights(join(dir, 'models'), 'denoise');
  // The library's temp folders go here, so the test can see that none is left.
  scratchTmp = join(dir, 'tmp');
  await mkdir(scratchTmp);
  process.env.TMPDIR = scratchTmp;
});
afterAll(async () => {
  for (const [k, v] of [
    ['DURN_MODELS_DIR', saved.models],
    ['TMPDIR', saved.tmp],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await closeMetadata();
  await rm(dir, { recursive: true, force: true });
});

async function userError(p: Promise<unknown>): Promise<DurnUserError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DurnUserError);
  return err as DurnUserError;
}

describe('library errors', () => {
  it('a non-image Buffer or path, with metadata copying on: INVALID_INPUT with a hint, no temp folder left', async () => {
    const restorer = createRestorer({ task: 'denoise', workers: 1 });
    try {
      const text = join(dir, 'notes.jpg');
      await writeFile(text, 'not a photo');
      for (const input of [Buffer.from('not a photo'), text]) {
        const err = await userError(restorer.restore(input));
        expect(err.code).toBe('INVALID_INPUT');
        expect(err.message).toMatch(
          /^Expected an image \(JPEG, PNG, WebP, TIFF, AVIF, HEIF or GIF\) for input/,
        );
        expect(err.hint).toBeTruthy();
      }
      const empty = await userError(restorer.restore(Buffer.alloc(0)));
      expect(empty.message).toMatch(/but received an empty file \(0 bytes\)/);
      expect(await readdir(scratchTmp)).toEqual([]);
    } finally {
      await restorer.close();
    }
  });

  it('bad options say what was received in plain words, never "undefined of type undefined" or "[object Object]"', async () => {
    const photo = (await writePhotos(join(dir, 'p'), 1, 24))[0]!;
    const messages: string[] = [];
    const cases: (() => Promise<unknown>)[] = [
      // @ts-expect-error: no options at all
      () => restore(photo),
      // @ts-expect-error: options of the wrong type
      () => restore(photo, 'denoise'),
      () => restore(photo, { task: 'denoise', tile: { size: 64 } as unknown as number }),
      () => restore(photo, { task: 'denoise', format: 'bmp' as 'png' }),
      () => restore(photo, { task: 'denoise', quality: 1000 }),
    ];
    for (const c of cases) {
      const err = await userError(c());
      expect(err.code).toBe('INVALID_OPTION');
      messages.push(err.message);
    }
    for (const m of messages) {
      expect(m).toMatch(/^Expected /);
      expect(m).not.toMatch(/undefined of type undefined|\[object Object\]|Too big|Too small/);
    }
    expect(messages[0]).toMatch(/but received nothing/);
    expect(messages[2]).toMatch(/but received an object with keys size/);
    expect(messages[4]).toMatch(/Expected a number at most 100 for quality but received 1000/);
  });

  it('library messages name options, not CLI flags', async () => {
    const photo = (await writePhotos(join(dir, 'q'), 1, 24))[0]!;
    const out = join(dir, 'q', 'out.png');
    await writeFile(out, 'taken');
    const errs = [
      await userError(restore(photo, { task: 'denoise', output: out })),
      await userError(restore(photo, { task: 'denoise', bitDepth: 16, format: 'jpeg' })),
      await userError(restore(photo, { task: 'denoise', maxPixels: 10, output: join(dir, 'q', 'o2.jpg') })),
      await userError(restore(photo, { task: 'denoise', overlap: 900 })),
    ];
    expect(errs.map((e) => e.code)).toEqual([
      'OUTPUT_EXISTS',
      'INVALID_OPTION',
      'IMAGE_TOO_LARGE',
      'INVALID_OPTION',
    ]);
    for (const e of errs) expect(`${e.message} ${e.hint ?? ''}`).not.toMatch(/--[a-z]/);
    expect(await readdir(scratchTmp)).toEqual([]);
  });

  it("the output's extension picks its format, and no ExifTool process outlives close()", async () => {
    const png = join(dir, 'in.png');
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#336699' } })
      .png()
      .toFile(png);
    const restorer = createRestorer({ task: 'denoise', workers: 1 });
    const out = await restorer.restore(png, { output: join(dir, 'in-restored.jpg') });
    expect((await sharp(out).metadata()).format).toBe('jpeg');
    expect(isMetadataOpen()).toBe(true);
    await restorer.close();
    expect(isMetadataOpen()).toBe(false);
  });
});
