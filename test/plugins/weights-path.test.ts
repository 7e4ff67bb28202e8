import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundledWeightsDir, packageRoot, userModelsDir } from '../../src/core/config.ts';
import { DurnUserError } from '../../src/core/errors.ts';
import { getPlugin, isTaskId } from '../../src/plugins/registry.ts';
import { parseWeightsArgument, resolveWeights, weightsStatus } from '../../src/plugins/weights-path.ts';

let root: string;
let user: string;
let bundled: string;
let ctx: { env: Record<string, string>; home: string; cwd: string; bundledDir: string };

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'durn-weights-'));
  user = join(root, 'models');
  bundled = join(root, 'bundled');
  mkdirSync(user);
  mkdirSync(bundled);
  ctx = { env: { DURN_MODELS_DIR: user }, home: join(root, 'home'), cwd: root, bundledDir: bundled };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const denoise = getPlugin('denoise');

describe('bundledWeightsDir', () => {
  it("is the package's weights/ folder unless $DURN_WEIGHTS_DIR names another", () => {
    expect(bundledWeightsDir({ env: {} })).toBe(join(packageRoot(), 'weights'));
    expect(bundledWeightsDir({ env: { DURN_WEIGHTS_DIR: 'w' }, cwd: root })).toBe(join(root, 'w'));
    const { bundledDir: _, ...viaEnv } = ctx;
    writeFileSync(join(bundled, 'denoise-gray.durn-p.safetensors'), 'x');
    expect(
      resolveWeights(denoise, 'durn-p', {}, { ...viaEnv, env: { ...ctx.env, DURN_WEIGHTS_DIR: bundled } }),
    ).toEqual({ path: join(bundled, 'denoise-gray.durn-p.safetensors'), source: 'bundled' });
  });
});

describe('resolveWeights', () => {
  it('prefers an explicit file, then the user folder, then the bundled one', () => {
    writeFileSync(join(bundled, 'denoise-gray.durn-p.safetensors'), 'x');
    expect(resolveWeights(denoise, 'durn-p', {}, ctx)).toEqual({
      path: join(bundled, 'denoise-gray.durn-p.safetensors'),
      source: 'bundled',
    });
    writeFileSync(join(user, 'denoise-gray.durn-p.safetensors'), 'x');
    expect(resolveWeights(denoise, 'durn-p', {}, ctx).source).toBe('user');
    writeFileSync(join(root, 'mine.safetensors'), 'x');
    expect(resolveWeights(denoise, 'durn-p', { file: 'mine.safetensors' }, ctx)).toEqual({
      path: join(root, 'mine.safetensors'),
      source: 'option',
    });
    // TASK=FILE applies to that task only
    expect(resolveWeights(denoise, 'durn-p', { byTask: { deblur: 'mine.safetensors' } }, ctx).source).toBe(
      'user',
    );
  });

  it('says which file it looked for where, and how to get it', () => {
    let err: unknown;
    try {
      resolveWeights(getPlugin('dehaze'), 'durn-us', {}, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DurnUserError);
    const e = err as DurnUserError;
    expect(e.code).toBe('WEIGHTS_MISSING');
    expect(e.message).toBe(
      `No weights for dehaze (network durn-us): looked for dehaze.durn-us.safetensors in ${user} and ${bundled}`,
    );
    expect(e.hint).toContain('durn train dehaze --data <folder>');
    expect(e.hint).toContain(
      `durn models import <file.pt> --arch durn-us --out ${join(user, 'dehaze.durn-us.safetensors')}`,
    );
    expect(() => resolveWeights(denoise, 'durn-p', { file: 'nope.safetensors' }, ctx)).toThrow(
      `The weights file ${join(root, 'nope.safetensors')} given for denoise does not exist`,
    );
  });

  it('reports per-network status', () => {
    writeFileSync(join(user, 'denoise-rgb.durn-p-nonorm.safetensors'), 'x');
    const status = weightsStatus(denoise, {}, ctx);
    expect(status.map((s) => [s.network, s.present, s.source])).toEqual([
      ['durn-p-nonorm', true, 'user'],
      ['durn-p', false, undefined],
    ]);
    expect(status[1]!.searched).toEqual([
      join(user, 'denoise-gray.durn-p.safetensors'),
      join(bundled, 'denoise-gray.durn-p.safetensors'),
    ]);
  });
});

describe('models folder and --weights arguments', () => {
  it('follows DURN_MODELS_DIR, then absolute XDG_DATA_HOME, then ~/.local/share', () => {
    expect(userModelsDir({ env: { DURN_MODELS_DIR: 'm' }, cwd: '/w', home: '/h' })).toBe('/w/m');
    expect(userModelsDir({ env: { XDG_DATA_HOME: '/data' }, home: '/h' })).toBe('/data/durn/models');
    expect(userModelsDir({ env: { XDG_DATA_HOME: 'relative' }, home: '/h' })).toBe(
      '/h/.local/share/durn/models',
    );
  });

  it('splits TASK=FILE only when TASK is a task', () => {
    expect(parseWeightsArgument('denoise=a.safetensors', isTaskId)).toEqual({
      task: 'denoise',
      file: 'a.safetensors',
    });
    expect(parseWeightsArgument('run=1/a.safetensors', isTaskId)).toEqual({ file: 'run=1/a.safetensors' });
  });
});
