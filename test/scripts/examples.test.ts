/** `node scripts/examples.ts --real`: a real noisy photo | denoised, two panels, no clean reference. */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScratchWeights } from '../helpers/models.ts';
import { writeScenes } from '../training/trainer/images.ts';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/examples.ts');
const examples = (...args: string[]) =>
  spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', input: '' });

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-examples-script-'));
  await writeScenes(join(dir, 'photos'), 1, 120, 90);
  await writeScratchWeights(join(dir, 'weights'), 'denoise', ['durn-p-nonorm']);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scripts/examples.ts --real', () => {
  it('writes denoise-real.jpg: the crop and its denoised version side by side', async () => {
    const [photo] = await readdir(join(dir, 'photos'));
    const out = join(dir, 'out');
    const r = examples(
      '--real',
      join(dir, 'photos', photo!),
      '--crop',
      '10,20,64,48',
      '--weights-dir',
      join(dir, 'weights'),
      '--out',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(await readdir(out)).toEqual(['denoise-real.jpg']);
    const meta = await sharp(join(out, 'denoise-real.jpg')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 2 * 64 + 4, 48]);
  });

  it('exits 2 on a bad or misplaced --crop, and reports a crop outside the photo', async () => {
    expect(examples('--crop', '1,2,3').status).toBe(2);
    const alone = examples('--crop', '0,0,8,8');
    expect(alone.status).toBe(2);
    expect(alone.stderr).toContain('--crop applies to --real');
    const [photo] = await readdir(join(dir, 'photos'));
    const outside = examples(
      '--real',
      join(dir, 'photos', photo!),
      '--crop',
      '100,0,64,64',
      '--weights-dir',
      join(dir, 'weights'),
      '--out',
      join(dir, 'out2'),
    );
    expect(outside.status).toBe(1);
    expect(outside.stderr).toContain('Expected a crop inside the 120×90 photo');
  });
});
