import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listPresets, showPreset } from '../../src/cli/presets.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'durn-presets-cli-'));
  vi.stubEnv('DURN_CONFIG_DIR', join(root, 'config'));
  vi.stubEnv('DURN_MODELS_DIR', join(root, 'models'));
  mkdirSync(join(root, 'config/presets'), { recursive: true });
  mkdirSync(join(root, 'models'));
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(root, { recursive: true, force: true });
});

function capture(fn: (print: (l: string) => void) => void): string {
  const lines: string[] = [];
  fn((l) => lines.push(l));
  return lines.join('\n');
}

describe('durn presets', () => {
  it('lists built-ins and user presets with networks and weights, marking overrides', () => {
    writeFileSync(join(root, 'models/deblur.durn-u.safetensors'), 'x');
    writeFileSync(
      join(root, 'config/presets/night-shot.yaml'),
      'name: night-shot\ndescription: My night.\nsteps: [{ task: deblur }]\n',
    );
    const out = capture(listPresets);
    expect(out).toMatch(/^denoise /);
    expect(out).toContain('night-shot      My night. [user, overrides built-in]');
    expect(out).toContain('1. deblur    durn-u: weights present');
    expect(out).toContain('durn-p (grey): weights MISSING; durn-p-nonorm (colour): weights MISSING');
  });

  it('shows where weights are looked for and how to get them', () => {
    const out = capture((p) => showPreset('hazy-and-noisy', p));
    expect(out).toContain('1. dehaze (Dehaze)');
    expect(out).toContain('tiles: 1024 px, overlap 128 px');
    expect(out).toContain(join(root, 'models/dehaze.durn-us.safetensors'));
    expect(out).toContain(
      `durn models import <file.pt> --arch durn-p --out ${join(root, 'models/denoise-gray.durn-p.safetensors')}`,
    );
    expect(() => showPreset('nope', () => {})).toThrow(/for the preset but received "nope"/);
  });
});
