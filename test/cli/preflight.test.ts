/**
 * Errors that can be known before any network runs stop the run first, with status 2 (through the
 * real binary): weights of another network, a tile/overlap no plan can use, a bit depth the output
 * format cannot hold. `--tile` alone works (its overlap follows the tile). The environment's
 * DURN_ENGINE and DURN_DEVICE count when no flag is given; no CUDA notice on a machine without a GPU.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt, runDurn, writePhotos } from '../helpers/binary.ts';
import { writeScratchWeights } from '../helpers/models.ts';

let dir: string;
let photo = '';
let env: Record<string, string>;
const GPU = existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'durn-preflight-'));
  photo = (await writePhotos(join(dir, 'photos'), 1, 80))[0]!;
  await writeScratchWeights(join(dir, 'models'), 'denoise');
  await writeScratchWeights(join(dir, 'models'), 'deblur');
  env = { DURN_MODELS_DIR: join(dir, 'models') };
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const restore = (out: string, ...args: string[]) =>
  runDurn(['restore', photo, '--out', join(dir, out), '--workers', '1', ...args], { env });

describe('checked before any network runs', () => {
  test.each([
    [
      'weights of another network',
      ['--task', 'deblur', '--weights', 'deblur=MODELS/denoise-gray.durn-p.safetensors'],
      /Expected weights for durn-u for the task deblur but .* holds weights for durn-p/,
    ],
    [
      'an impossible overlap',
      ['--task', 'denoise', '--overlap', '400'],
      /Expected an overlap between 0 and \d+ for tile \d+ \(denoise, network durn-p-nonorm\) but received 400/,
    ],
    [
      '16 bits for a JPEG input',
      ['--task', 'denoise', '--bit-depth', '16'],
      /Expected an output format that holds 16 bits \(PNG or TIFF\) for a bit depth of 16 but the output .*p0\.jpg is JPEG/,
    ],
    [
      '16 bits as WebP',
      ['--task', 'denoise', '--bit-depth', '16', '--format', 'webp'],
      /holds 16 bits .* but the format asked for is WEBP/,
    ],
    [
      'a bad DURN_DEVICE',
      ['--task', 'denoise', 'ENV:DURN_DEVICE=gpu'],
      /Expected one of auto, cpu, cuda, cuda:N for the environment variable DURN_DEVICE but received "gpu"/,
    ],
  ])('%s: status 2, no photo touched', async (name, args, message) => {
    const extraEnv = Object.fromEntries(
      args.filter((a) => a.startsWith('ENV:')).map((a) => a.slice(4).split('=')),
    );
    const flags = args
      .filter((a) => !a.startsWith('ENV:'))
      .map((a) => a.replace('MODELS', join(dir, 'models')));
    const r = await runDurn(
      ['restore', photo, '--out', join(dir, `out-${name}`), '--workers', '1', ...flags],
      {
        env: { ...env, ...extraEnv },
      },
    );
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).not.toMatch(/step 1/);
    expect(existsSync(join(dir, `out-${name}`, 'p0.jpg'))).toBe(false);
  });

  test('--tile alone: the overlap follows the tile instead of failing on a default never set', async () => {
    const r = await restore('tile64', '--task', 'denoise', '--tile', '64');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/step 1 denoise, \d+ tiles/);
    expect(await readdir(join(dir, 'tile64'))).toEqual(['p0.jpg']);
  });

  test('an image over --max-pixels: its size, the limit and the flag are named', async () => {
    const r = await restore('maxpx', '--task', 'denoise', '--max-pixels', '1000');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Expected an image of at most 1000 pixels for input .*p0\.jpg but received 80×80 \(6400 pixels\)/,
    );
    expect(r.stderr).toMatch(/hint: Raise the limit with --max-pixels/);
  });
});

describe('messages say what was expected, in words', () => {
  test('no raw errno codes, no doubled paths', async () => {
    const missing = join(dir, 'nope.safetensors');
    const info = await runDurn(['models', 'info', missing], { env });
    expect(info.code).toBe(2);
    expect(info.stderr).toContain(
      `Expected a weights file (.safetensors) for ${missing} but received a path that does not exist`,
    );
    const imp = await runDurn(
      ['models', 'import', join(dir, 'nope.pth'), '--arch', 'durn-u', '--out', join(dir, 'x.safetensors')],
      { env },
    );
    expect(imp.stderr).toMatch(
      /Expected a PyTorch checkpoint for .*nope\.pth but received a path that does not exist/,
    );
    const status = await runDurn(['watch', '--status', join(dir, 'nowhere')], { env });
    expect(status.code).toBe(2);
    expect(status.stderr.split('\n')[0]).toBe(
      `durn: Expected a watch ledger in ${join(dir, 'nowhere')} but found none there`,
    );
    for (const r of [info, imp, status])
      expect(r.stderr).not.toMatch(/ENOENT|EEXIST|\[object Object\]|undefined of type/);
  });
});

describe('the environment', () => {
  test('DURN_ENGINE picks the engine when no --engine is given', async () => {
    const r = await runDurn(
      ['restore', photo, '--out', join(dir, 'env-engine'), '--task', 'denoise', '--workers', '1'],
      {
        env: { ...env, DURN_ENGINE: 'tfjs' },
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ on tfjs/);
  });

  test.skipIf(GPU)('no CUDA notice on a machine without an NVIDIA GPU', async () => {
    const r = await restore('no-notice', '--task', 'denoise');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/CUDA/);
  });
});
