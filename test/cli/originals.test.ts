/**
 * Originals and inputs are never overwritten, through the real binary: no input of a run is an
 * output target (with or without --overwrite), suffixes cannot leave the output folder, name
 * collisions are refused before any work, a second run skips what durn wrote, existing outputs are
 * skipped before the network runs, and `models install` replaces nothing unless asked.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt, runDurn, writePhotos } from '../helpers/binary.ts';
import { writeScratchWeights } from '../helpers/models.ts';

let dir: string;
let env: Record<string, string>;
const sha = async (f: string) =>
  createHash('sha256')
    .update(await readFile(f))
    .digest('hex');

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'durn-originals-'));
  await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p-nonorm']);
  env = { DURN_MODELS_DIR: join(dir, 'models') };
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const restore = (...args: string[]) =>
  runDurn(['restore', '--task', 'denoise', '--workers', '1', ...args], { env });

describe('inputs are never output targets', () => {
  test('good.jpg and good-restored.jpg in one run: refused with or without --overwrite, both untouched', async () => {
    const folder = join(dir, 'pair');
    const [a, b] = await writePhotos(folder, 2, 32);
    const { rename } = await import('node:fs/promises');
    await rename(a!, join(folder, 'good.jpg'));
    await rename(b!, join(folder, 'good-restored.jpg'));
    const before = await sha(join(folder, 'good-restored.jpg'));
    for (const extra of [['--overwrite'], []]) {
      const r = await restore(folder, ...extra);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /Expected outputs that are not inputs of this run but .*good\.jpg would be written to .*good-restored\.jpg/,
      );
      expect(r.stdout).not.toMatch(/step 1/);
    }
    expect(await sha(join(folder, 'good-restored.jpg'))).toBe(before);
    expect((await readdir(folder)).sort()).toEqual(['good-restored.jpg', 'good.jpg']);
  });

  test('a suffix with a path separator or .. is refused', async () => {
    const [photo] = await writePhotos(join(dir, 'suffix'), 1, 32);
    for (const suffix of ['/../../x', '..', 'a\\b']) {
      const r = await restore(photo!, '--out', join(dir, 'suffix-out'), '--suffix', suffix);
      expect(r.code, suffix).toBe(2);
      expect(r.stderr).toContain('Expected a suffix without path separators or ".." for suffix but received');
    }
    expect(await readdir(join(dir, 'suffix'))).toEqual(['p0.jpg']);
  });

  test('two inputs with one output name are refused before any work', async () => {
    await writePhotos(join(dir, 'A'), 1, 32);
    await writePhotos(join(dir, 'B'), 1, 32);
    const r = await restore(join(dir, 'A', 'p0.jpg'), join(dir, 'B', 'p0.jpg'), '--out', join(dir, 'AB'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /Expected one input per output but .*A\/p0\.jpg and .*B\/p0\.jpg would all be written to .*AB\/p0\.jpg/,
    );
    const y = join(dir, 'Y');
    await writePhotos(y, 1, 32, 'png');
    await writePhotos(y, 1, 32, 'jpg');
    const r2 = await restore(join(y, 'p0.png'), join(y, 'p0.jpg'), '--format', 'png');
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/would all be written to .*p0-restored\.png/);
    expect((await readdir(y)).sort()).toEqual(['p0.jpg', 'p0.png']);
  });

  test("a second run beside the inputs skips durn's own outputs and existing outputs, before any network runs", async () => {
    const folder = join(dir, 'twice');
    await writePhotos(folder, 2, 32);
    const first = await restore(folder);
    expect(first.code, first.stderr).toBe(0);
    expect((await readdir(folder)).sort()).toEqual([
      'p0-restored.jpg',
      'p0.jpg',
      'p1-restored.jpg',
      'p1.jpg',
    ]);
    const second = await restore(folder);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/p0-restored\.jpg: skipped: written by durn/);
    expect(second.stdout).toMatch(/p0\.jpg: skipped: .*p0-restored\.jpg already exists/);
    expect(second.stdout).not.toMatch(/step 1/);
    expect(second.stdout).toMatch(/0 restored, 0 failed, 4 skipped/);
    expect((await readdir(folder)).length).toBe(4);
    // Named one by one, a durn output is restored again (a deliberate second pass).
    const again = await restore(join(folder, 'p0-restored.jpg'));
    expect(again.code, again.stderr).toBe(0);
    expect(await readdir(folder)).toContain('p0-restored-restored.jpg');
  });
});

describe('durn models install', () => {
  test('replaces installed weights only with --overwrite', async () => {
    const home = join(dir, 'install-home');
    await mkdir(home, { recursive: true });
    const [file] = await writeScratchWeights(join(dir, 'to-install'), 'deblur');
    const installEnv = { DURN_MODELS_DIR: home };
    const first = await runDurn(['models', 'install', file!], { env: installEnv });
    expect(first.code, first.stderr).toBe(0);
    const [other] = await writeScratchWeights(join(dir, 'to-install-2'), 'deblur', undefined, 7);
    const second = await runDurn(['models', 'install', other!], { env: installEnv });
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/Expected a free weights file for the task deblur but .* already exists/);
    expect(await sha(join(home, 'deblur.durn-u.safetensors'))).toBe(await sha(file!));
    const third = await runDurn(['models', 'install', other!, '--overwrite'], { env: installEnv });
    expect(third.code, third.stderr).toBe(0);
    expect(await sha(join(home, 'deblur.durn-u.safetensors'))).toBe(await sha(other!));
  });
});
