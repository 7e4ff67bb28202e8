import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../src/pipeline/events.ts';
import { readProvenance } from '../../../src/pipeline/metadata/copy.ts';
import { closeMetadata } from '../../../src/pipeline/metadata/exiftool.ts';
import { runRestore } from '../../../src/pipeline/run/run.ts';
import { writeScratchWeights } from '../../helpers/models.ts';

let dir: string;
const savedEnv = process.env.DURN_MODELS_DIR;

async function greyPhoto(path: string, w: number, h: number, seed: number): Promise<void> {
  const px = Buffer.alloc(w * h);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7 + seed * 13 + ((i / w) | 0) * 3) % 251;
  await sharp(px, { raw: { width: w, height: h, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(path);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-restore-'));
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p']);
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env.DURN_MODELS_DIR;
  else process.env.DURN_MODELS_DIR = savedEnv;
  await closeMetadata();
  await rm(dir, { recursive: true, force: true });
});

describe('runRestore', () => {
  it('restores a folder with real workers, reports a bad file and goes on, and never touches originals', async () => {
    const input = join(dir, 'photos');
    await import('node:fs/promises').then((fs) => fs.mkdir(input));
    await greyPhoto(join(input, 'one.png'), 48, 36, 2);
    await greyPhoto(join(input, 'two.png'), 33, 20, 3);
    await writeFile(join(input, 'broken.png'), Buffer.from('definitely not a png'));
    const before = await readFile(join(input, 'one.png'));
    const events: RunEvent[] = [];
    const summary = await runRestore(
      { inputs: [input], task: 'denoise', outDir: join(dir, 'out'), workers: 2 },
      (e) => events.push(e),
    );
    expect(summary.done).toBe(2);
    expect(summary.failed).toBe(1);
    expect(summary.failures[0]!.file).toMatch(/broken\.png$/);
    expect(summary.failures[0]!.error).toMatch(/broken\.png/);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual(['one.png', 'two.png']);
    const meta = await sharp(join(dir, 'out', 'one.png')).metadata();
    expect([meta.width, meta.height, meta.channels]).toEqual([48, 36, 1]);
    expect(await readFile(join(input, 'one.png'))).toEqual(before);
    expect(events.filter((e) => e.type === 'tile-done').length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)!.type).toBe('run-done');
    const prov = await readProvenance(join(dir, 'out', 'one.png'));
    expect(prov[0]!.Parameters).toMatchObject({ tasks: ['denoise'] });
  });

  it('skips an existing output unless asked to overwrite', async () => {
    const input = join(dir, 'single.png');
    await greyPhoto(input, 20, 20, 4);
    const first = await runRestore({ inputs: [input], task: 'denoise', workers: 1 });
    expect(first.done).toBe(1);
    const out = join(dir, 'single-restored.png');
    const mtime = (await stat(out)).mtimeMs;
    const second = await runRestore({ inputs: [input], task: 'denoise', workers: 1 });
    expect(second).toMatchObject({ done: 0, skipped: 1 });
    expect((await stat(out)).mtimeMs).toBe(mtime);
    const third = await runRestore({ inputs: [input], task: 'denoise', workers: 1, overwrite: true });
    expect(third.done).toBe(1);
  });

  it('refuses a task whose weights are all missing, saying which file and how to get it', async () => {
    await expect(runRestore({ inputs: [join(dir, 'single.png')], task: 'deblur' })).rejects.toThrow(
      /No weights for deblur \(network durn-u\): looked for deblur\.durn-u\.safetensors/,
    );
  });
});
