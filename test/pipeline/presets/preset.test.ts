import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bundledPresetsDir } from '../../../src/core/config.ts';
import { loadPresets } from '../../../src/pipeline/presets/load.ts';
import { parsePreset, resolveTaskOrPreset } from '../../../src/pipeline/presets/preset.ts';

const NIGHT = `name: night-shot
description: test
steps:
  - task: denoise
    options: { strength: 0.5 }
  - task: deblur
`;

describe('parsePreset', () => {
  it('parses YAML and JSON, filling option defaults', () => {
    const p = parsePreset(NIGHT, 'yaml', 'presets/night-shot.yaml');
    expect(p).toEqual({
      name: 'night-shot',
      description: 'test',
      steps: [
        { task: 'denoise', options: { strength: 0.5 } },
        { task: 'deblur', options: { strength: 1 } },
      ],
    });
    const json = JSON.stringify({ name: 'x', description: 'd', steps: [{ task: 'dehaze' }] });
    expect(parsePreset(json, 'json', 'x.json').steps[0]!.task).toBe('dehaze');
  });

  it('names the file and the path of a bad option', () => {
    const bad = NIGHT.replace('strength: 0.5', 'strength: big');
    expect(() => parsePreset(bad, 'yaml', 'presets/night-shot.yaml')).toThrow(
      'Expected a number between 0 and 1 for strength but received "big" (presets/night-shot.yaml, steps[0].options.strength)',
    );
    const unknown = NIGHT.replace('strength: 0.5', 'strenght: 0.5');
    expect(() => parsePreset(unknown, 'yaml', 'night-shot.yaml')).toThrow(
      'Unknown key "strenght" in steps[0].options; known: strength (night-shot.yaml)',
    );
  });

  it('rejects unknown tasks, empty chains, mismatched names and broken syntax', () => {
    expect(() =>
      parsePreset(NIGHT.replace('task: deblur', 'task: sharpen'), 'yaml', 'night-shot.yaml'),
    ).toThrow(
      'Expected one of denoise, deblur, dehaze, raindrop, derain for task but received "sharpen" (night-shot.yaml, steps[1].task)',
    );
    expect(() => parsePreset('name: a\ndescription: d\nsteps: []\n', 'yaml', 'a.yaml')).toThrow(
      'Expected a list of at least 1 items for steps but received [] (a.yaml, steps)',
    );
    expect(() => parsePreset(NIGHT, 'yaml', 'dir/evening.yaml')).toThrow(
      'Expected "evening" (the file\'s name) for name but received "night-shot" (dir/evening.yaml, name)',
    );
    expect(() => parsePreset('name: [a\n', 'yaml', 'a.yaml')).toThrow(
      /^a\.yaml is not valid YAML at line 2, column 1: Flow .* a \]$/,
    );
    expect(() => parsePreset('name: [a\n', 'yaml', 'a.yaml')).toThrow(
      'a.yaml is not valid YAML at line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    );
    expect(() => parsePreset('{"name":', 'json', 'a.json')).toThrow(/a\.json is not valid JSON/);
  });
});

describe('built-in presets', () => {
  it('are all valid, one per task plus the three chains', () => {
    const dir = bundledPresetsDir();
    const catalog = loadPresets({ dirs: [{ dir, origin: 'builtin' }] });
    expect(catalog.problems).toEqual([]);
    expect(catalog.presets.size).toBe(readdirSync(dir).length);
    const chain = (name: string) => catalog.presets.get(name)?.preset.steps.map((s) => s.task);
    for (const task of ['denoise', 'deblur', 'dehaze', 'raindrop', 'derain'])
      expect(chain(task)).toEqual([task]);
    expect(chain('hazy-and-noisy')).toEqual(['dehaze', 'denoise']);
    expect(chain('rainy-window')).toEqual(['raindrop', 'derain']);
    expect(chain('night-shot')).toEqual(['denoise', 'deblur']);
  });
});

describe('loadPresets and resolveTaskOrPreset', () => {
  let root: string;
  let builtin: string;
  let user: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'durn-presets-'));
    builtin = join(root, 'builtin');
    user = join(root, 'user');
    mkdirSync(builtin);
    mkdirSync(user);
    writeFileSync(join(builtin, 'night-shot.yaml'), NIGHT);
    writeFileSync(join(builtin, 'dehaze.yml'), 'name: dehaze\ndescription: d\nsteps: [{ task: dehaze }]\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const dirs = () => [
    { dir: builtin, origin: 'builtin' as const },
    { dir: user, origin: 'user' as const },
  ];

  it('lets a user preset override a built-in, and says so', () => {
    writeFileSync(
      join(user, 'night-shot.json'),
      JSON.stringify({ name: 'night-shot', description: 'mine', steps: [{ task: 'denoise' }] }),
    );
    const catalog = loadPresets({ dirs: dirs() });
    const entry = catalog.presets.get('night-shot')!;
    expect(entry.origin).toBe('user');
    expect(entry.overrides).toBe(join(builtin, 'night-shot.yaml'));
    const chain = resolveTaskOrPreset({ preset: 'night-shot' }, catalog);
    expect(chain.steps.map((s) => s.plugin.id)).toEqual(['denoise']);
    expect(chain.file).toBe(join(user, 'night-shot.json'));
  });

  it('keeps good presets when one file is broken, and raises its error when it is asked for', () => {
    writeFileSync(join(user, 'broken.yaml'), 'name: broken\ndescription: d\nsteps: [{ task: nope }]\n');
    writeFileSync(join(user, 'notes.txt'), 'ignored');
    const catalog = loadPresets({ dirs: dirs() });
    expect([...catalog.presets.keys()].sort()).toEqual(['dehaze', 'night-shot']);
    expect(catalog.problems.map((p) => p.name)).toEqual(['broken']);
    expect(() => resolveTaskOrPreset({ preset: 'broken' }, catalog)).toThrow(/steps\[0\]\.task/);
    expect(() => resolveTaskOrPreset({ preset: 'nothing' }, catalog)).toThrow(
      'Expected one of dehaze, night-shot for the preset but received "nothing"',
    );
  });

  it('treats a missing user folder as empty', () => {
    const catalog = loadPresets({ dirs: [dirs()[0]!, { dir: join(root, 'absent'), origin: 'user' }] });
    expect(catalog.problems).toEqual([]);
    expect(catalog.presets.size).toBe(2);
  });

  it('resolves a single task with validated options', () => {
    const catalog = loadPresets({ dirs: dirs() });
    const chain = resolveTaskOrPreset({ task: 'derain', options: { strength: 0.25 } }, catalog);
    expect(chain.kind).toBe('task');
    expect(chain.steps.map((s) => [s.plugin.id, s.options])).toEqual([['derain', { strength: 0.25 }]]);
    expect(() => resolveTaskOrPreset({ task: 'derain', options: { strength: -1 } }, catalog)).toThrow(
      'Expected a number between 0 and 1 for strength but received -1 of type number (derain options)',
    );
    expect(() => resolveTaskOrPreset({}, catalog)).toThrow(/exactly one/);
    expect(() => resolveTaskOrPreset({ task: 'derain', preset: 'dehaze' }, catalog)).toThrow(/exactly one/);
  });
});
