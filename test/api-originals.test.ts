/** The library never replaces the photo it restores, whatever path or overwrite it is given. */
import { createHash } from 'node:crypto';
import { link, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createRestorer, DurnUserError } from '../src/index.ts';
import { closeMetadata } from '../src/pipeline/metadata/exiftool.ts';
import { writePhotos } from './helpers/binary.ts';
import { writeScratchWeights } from './helpers/models.ts';

let dir: string;
const savedEnv = process.env.DURN_MODELS_DIR;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-api-orig-'));
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p-nonorm']);
});
afterAll(async () => {
  if (savedEnv === undefined) delete process.env.DURN_MODELS_DIR;
  else process.env.DURN_MODELS_DIR = savedEnv;
  await closeMetadata();
  await rm(dir, { recursive: true, force: true });
});

test('output equal to the input (same path, relative path, hard link) is refused even with overwrite', async () => {
  const [photo] = await writePhotos(join(dir, 'photos'), 1, 32);
  const hard = join(dir, 'photos', 'hard.jpg');
  await link(photo!, hard);
  const before = createHash('sha256')
    .update(await readFile(photo!))
    .digest('hex');
  const restorer = createRestorer({ task: 'denoise', workers: 1 });
  try {
    for (const output of [photo!, relative(process.cwd(), photo!), hard]) {
      const err = await restorer.restore(photo!, { output, overwrite: true }).catch((e: unknown) => e);
      expect(err, output).toBeInstanceOf(DurnUserError);
      expect((err as DurnUserError).code).toBe('INVALID_OPTION');
      expect((err as DurnUserError).message).toMatch(/Expected an output other than the input/);
    }
  } finally {
    await restorer.close();
  }
  expect(
    createHash('sha256')
      .update(await readFile(photo!))
      .digest('hex'),
  ).toBe(before);
});
