/**
 * Training recipes (recipes/<plugin>.json): each shipped one validates, bad ones fail with a clear
 * user error, and a recipe drives a real (two-step) run whose weights record it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import { loadWeights } from '../../../src/models/weights/safetensors.ts';
import { getPlugin } from '../../../src/plugins/registry.ts';
import { train, trainingTask } from '../../../src/plugins/training.ts';
import { loadRecipe, parseRecipe, recipeOptions } from '../../../src/training/recipe-file.ts';
import { writeScenes } from './images.ts';

const RECIPES = resolve(import.meta.dirname, '../../../recipes');
const CLI = resolve(import.meta.dirname, '../../../src/cli.ts');
const tasks = (id: string) => trainingTask(getPlugin(id));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-recipe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function recipeJson(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(RECIPES, `${name}.json`), 'utf8'));
}

describe('training recipes', () => {
  it('one per network, each valid, on BSDS500 train+val and never test', async () => {
    const files = (await readdir(RECIPES)).filter((f) => f.endsWith('.json')).sort();
    const networks: string[] = [];
    for (const f of files) {
      const { recipe, record } = await loadRecipe(join(RECIPES, f), tasks);
      networks.push(recipe.network);
      expect(record.sha256).toMatch(/^[0-9a-f]{64}$/);
      const o = recipeOptions(recipe, record.file);
      expect(o.data).toEqual([
        resolve(RECIPES, '../../shared/data/bsds500/train'),
        resolve(RECIPES, '../../shared/data/bsds500/val'),
      ]);
      expect(o.loss).toBe(recipe.network === 'durn-p' ? 'l2' : 'ssim-l1');
    }
    expect(networks.sort()).toEqual(['durn-p', 'durn-p-nonorm', 'durn-s', 'durn-s-p', 'durn-u', 'durn-us']);
  });

  it('rejects bad recipes with messages that name the field', async () => {
    const good = await recipeJson('raindrop');
    const at = join(dir, 'bad.json');
    const bad = (patch: Record<string, unknown>) => () => parseRecipe({ ...good, ...patch }, at, tasks);
    expect(bad({ lr: -1 })).toThrow(/recipe field "lr" but received -1/);
    expect(bad({ lr: -1 })).toThrow(DurnUserError);
    expect(bad({ network: 'durn-x' })).toThrow(/network of raindrop but received "durn-x"/);
    expect(bad({ stepz: 10 })).toThrow(/Expected only known fields for the recipe but received "stepz"/);
    expect(bad({ data: ['../../shared/data/bsds500/test'] })).toThrow(/training or validation photos/);
    expect(bad({ val: '../../shared/data/bsds500/test' })).toThrow(/recipe folder but received ".*test"/);
    expect(bad({ degradation: { options: { coverage: 2 } } })).toThrow(/raindrops\.coverage but received 2/);
    expect(bad({ degradation: { options: { sigma: 30 } } })).toThrow(
      /options of raindrop .* but received "sigma"/,
    );
    expect(bad({ degradation: { options: {}, easy: { share: 0.1, options: { covrage: 0 } } } })).toThrow(
      /received "covrage"/,
    );
    expect(bad({ schedule: { kind: 'step', milestones: [1.5], gamma: 0.5 } })).toThrow(
      /schedule\.milestones\.0/,
    );
    await writeFile(at, '{ not json');
    await expect(loadRecipe(at, tasks)).rejects.toThrow(/Expected JSON for the recipe/);
    await expect(loadRecipe(join(dir, 'missing.json'), tasks)).rejects.toThrow(/Cannot read the recipe/);
  });

  it('durn train --recipe: a bad recipe exits 2 with its message; the task must match', async () => {
    const at = join(dir, 'cli-bad.json');
    await writeFile(at, JSON.stringify({ ...(await recipeJson('raindrop')), patch: 0 }));
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, 'train', ...args], {
        encoding: 'utf8',
        env: { ...process.env, CI: '' },
      });
    const r = run('--recipe', at);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('recipe field "patch" but received 0');
    const wrong = run('deblur', '--recipe', join(RECIPES, 'raindrop.json'));
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain(
      'Expected task raindrop for the recipe raindrop.json but received "deblur"',
    );
    const none = run();
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('needs a task or --recipe');
  });

  it('drives a two-step run; the weights record the recipe, its hash and the resolved settings', async () => {
    await writeScenes(join(dir, 'a'), 2, 72, 64, 'a');
    await writeScenes(join(dir, 'b'), 2, 72, 64, 'b');
    const recipe = join(dir, 'raindrop.json');
    // The shipped recipe, pointed at two small folders (relative to the recipe, as shipped ones are).
    await writeFile(
      recipe,
      JSON.stringify({ ...(await recipeJson('raindrop')), data: ['a', 'b'], val: 'b' }),
    );
    const out = join(dir, 'rd.safetensors');
    const r = await train({
      recipe,
      steps: 2,
      patch: 32,
      batch: 2,
      valLimit: 1,
      valPatch: 32,
      workers: 1,
      out,
    } as Parameters<typeof train>[0]);
    expect(r.step).toBe(2);
    expect(r.config).toMatchObject({
      task: 'raindrop',
      network: 'durn-s-p',
      from: 'scratch',
      data: [join(dir, 'a'), join(dir, 'b')],
      loss: 'ssim-l1',
      warmup: 300,
      schedule: { kind: 'step', milestones: [0.5], gamma: 0.5 },
    });
    expect(r.config.degradationOptions).toMatchObject({
      referenceSide: 'photo',
      defocus: { min: 0, max: 2 },
      easy: { share: 0.1, options: { coverage: { min: 0, max: 0.02 } } },
    });
    const w = await loadWeights(out, 'durn-s-p');
    const p = w.metadata.provenance as Record<string, unknown>;
    expect(p.recipe).toMatchObject({ file: recipe, recipe: { task: 'raindrop', patch: 256 } });
    expect((p.recipe as { sha256: string }).sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p).toMatchObject({ steps: 2, patch: 32, batch: 2, warmup: 300, loss: 'ssim-l1' });
  }, 300_000);
});
