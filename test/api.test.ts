import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRestorer, restore } from '../src/index.ts';
import type { RunEvent } from '../src/pipeline/events.ts';
import { closeMetadata } from '../src/pipeline/metadata/exiftool.ts';
import { writeScratchWeights } from './helpers/models.ts';

let dir: string;
const savedEnv = process.env.DURN_MODELS_DIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-api-'));
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p-nonorm']);
});
afterAll(async () => {
  if (savedEnv === undefined) delete process.env.DURN_MODELS_DIR;
  else process.env.DURN_MODELS_DIR = savedEnv;
  await closeMetadata();
  await rm(dir, { recursive: true, force: true });
});

describe('the library API', () => {
  it('restores a Buffer, a sharp instance and a file with one restorer, keeping metadata', async () => {
    const jpeg = await sharp({ create: { width: 40, height: 24, channels: 3, background: '#806040' } })
      .withExif({ IFD0: { Copyright: 'Ada Lovelace', Artist: 'Ada' } })
      .jpeg()
      .toBuffer();
    const events: RunEvent[] = [];
    const restorer = createRestorer({ task: 'denoise', workers: 1 });
    try {
      const out = await restorer.restore(jpeg, { onProgress: (e) => events.push(e) });
      const meta = await sharp(out).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 40, 24]);
      expect(meta.exif?.includes(Buffer.from('Ada Lovelace'))).toBe(true);
      expect(events.some((e) => e.type === 'tile-done')).toBe(true);

      const png = await restorer.restore(sharp(jpeg).resize(20, 12), { format: 'png', metadata: false });
      expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 20, height: 12 });

      const file = join(dir, 'in.jpg');
      await writeFile(file, jpeg);
      const written = await restorer.restore(file, { output: join(dir, 'out.jpg') });
      expect(written).toBe(join(dir, 'out.jpg'));
      expect((await sharp(written).metadata()).width).toBe(40);
      await expect(restorer.restore(file, { output: join(dir, 'out.jpg') })).rejects.toThrow(
        /already exists/,
      );
    } finally {
      await restorer.close();
    }
  });

  it('stops on an aborted signal without writing anything', async () => {
    const restorer = createRestorer({ task: 'denoise', workers: 1 });
    try {
      const ac = new AbortController();
      ac.abort();
      const input = await sharp({ create: { width: 16, height: 16, channels: 3, background: '#000' } })
        .png()
        .toBuffer();
      await expect(
        restorer.restore(input, { signal: ac.signal, output: join(dir, 'never.png') }),
      ).rejects.toThrow();
      await expect(sharp(join(dir, 'never.png')).metadata()).rejects.toThrow();
    } finally {
      await restorer.close();
    }
  });

  it('restore() takes restorer and per-call options together', async () => {
    const input = await sharp({ create: { width: 24, height: 16, channels: 3, background: '#406080' } })
      .png()
      .toBuffer();
    const out = await restore(input, { task: 'denoise', workers: 1, format: 'jpeg', metadata: false });
    expect(await sharp(out as Buffer).metadata()).toMatchObject({ format: 'jpeg', width: 24, height: 16 });
    const file = await restore(input, { task: 'denoise', workers: 1, output: join(dir, 'one-shot.png') });
    expect(file).toBe(join(dir, 'one-shot.png'));
  });
});
