/** `durn doctor` through the real binary: every section, reasons for what is missing, exit 0. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src/cli.ts');

function durn(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    input: '',
    env: { ...process.env, CI: '', ...env },
    timeout: 120_000,
  });
}

describe('durn doctor', () => {
  test('reports runtime, engines, tools and weights, and exits 0', () => {
    const r = durn(['doctor', '--json'], { DURN_PYTHON: '/nonexistent/python3' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      sections: {
        title: string;
        checks: { name: string; status: string; detail: string; hint?: string }[];
      }[];
    };
    const titles = report.sections.map((s) => s.title);
    expect(titles).toEqual([
      'Runtime',
      'ONNX Runtime engine (inference)',
      'TensorFlow.js engine (training, fallback)',
      'PyTorch engine (optional)',
      'Image tools',
      'Weights',
    ]);
    const all = report.sections.flatMap((s) => s.checks);
    const byName = (n: string) => all.find((c) => c.name === n);
    expect(byName('Node.js')?.status).toBe('ok');
    expect(byName('tfjs wasm')?.status).toBe('ok');
    expect(byName('sharp / libvips')?.detail).toMatch(/libvips \d+\.\d+/);
    expect(byName('ExifTool')?.detail).toMatch(/^\d+\.\d+/);
    // A Python that does not exist: the engine is reported missing with both install routes.
    const torch = byName('Python + PyTorch');
    expect(torch?.status).toBe('missing');
    expect(torch?.detail).toContain('/nonexistent/python3');
    expect(torch?.hint).toMatch(/pip install torch.*apt-get install python3-torch/);
    // One line per network of every task; tests hide the shipped weights, so they are missing here.
    const weights = report.sections.find((s) => s.title === 'Weights')!.checks;
    expect(weights.map((c) => c.name)).toEqual(
      expect.arrayContaining(['deblur (durn-u)', 'denoise (durn-p)']),
    );
    expect(weights.every((c) => c.status === 'missing' && c.hint?.includes('durn train'))).toBe(true);
  });

  test('the text report names each check with its hint', () => {
    const r = durn(['doctor'], { DURN_PYTHON: '/nonexistent/python3' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^durn \d+\.\d+\.\d+/);
    expect(r.stdout).toMatch(/ok {2}Node\.js/);
    expect(r.stdout).toMatch(/-- {2}Python \+ PyTorch .*\n.*→ .*pip install torch/);
  });
});

describe('the launcher on an old Node.js', () => {
  test('prints one line naming the required version instead of a stack trace', () => {
    // A copy of the launcher beside a package.json that asks for a Node.js from the future.
    const dir = mkdtempSync(join(tmpdir(), 'durn-launcher-'));
    try {
      cpSync(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify({ type: 'module', engines: { node: '>=99.1' } }),
      );
      const r = spawnSync(process.execPath, [join(dir, 'bin/durn.js'), '--version'], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/expected Node\.js >=99\.1 but this is v\d+.*install Node\.js 24 LTS/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
