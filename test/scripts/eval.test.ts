/** `node scripts/eval.ts` (npm run eval): exit statuses, skipped weights, and what it writes. */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalReport } from '../../src/training/eval-report.ts';
import { writeScratchWeights } from '../helpers/models.ts';
import { writeScenes } from '../training/trainer/images.ts';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/eval.ts');
const evalScript = (...args: string[]) =>
  spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', input: '' });

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-eval-script-'));
  await writeScenes(join(dir, 'data'), 2, 40, 32);
  await writeScratchWeights(join(dir, 'weights'), 'denoise', ['durn-p']);
  await mkdir(join(dir, 'out'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scripts/eval.ts', () => {
  it('exits 2 with a clear message when the test images are missing', () => {
    const missing = join(dir, 'no-such-folder');
    const r = evalScript('--data', missing);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`no test images: the folder ${missing} does not exist`);
    expect(r.stderr).toContain('--data');
  });

  it('exits 2 on bad usage', () => {
    expect(evalScript('--limit', '0').status).toBe(2);
    const r = evalScript('--only', 'sharpen');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('for --only but received "sharpen"');
  });

  it('evaluates the weights it finds, skips the ones it does not, and repeats its numbers', async () => {
    const args = [
      '--data',
      join(dir, 'data'),
      '--weights-dir',
      join(dir, 'weights'),
      '--only',
      'durn-p,dehaze',
    ];
    const first = evalScript(...args, '--out', join(dir, 'out'));
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('dehaze: skipped');
    const report = JSON.parse(await readFile(join(dir, 'out', 'eval.json'), 'utf8')) as EvalReport;
    expect(report.results.map((r) => [r.id, r.images, r.passes.map((p) => p.sigma)])).toEqual([
      ['denoise-gray', 2, [30, 50, 70]],
    ]);
    expect(report.results[0]!.weights.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(report.skipped.map((s) => s.id)).toEqual(['dehaze']);
    const md = await readFile(join(dir, 'out', 'eval.md'), 'utf8');
    expect(md).toContain('| durn (DuRN-P) on clean photos');
    // The summary (the README's table): one line per σ for grey denoising.
    expect(md).toMatch(/\| plugin +\| images +\| degraded input +\| best classical baseline +\| durn /);
    expect(md).toMatch(/\| denoise \(`durn-p`\) σ=30 +\| /);
    expect(md).toContain('dehaze (durn-us): skipped');

    const second = evalScript(...args, '--out', join(dir, 'again'));
    expect(second.status, second.stderr).toBe(0);
    const again = JSON.parse(await readFile(join(dir, 'again', 'eval.json'), 'utf8')) as EvalReport;
    const numbers = (r: EvalReport) => r.results.map((x) => ({ passes: x.passes, clean: x.clean }));
    expect(numbers(again)).toEqual(numbers(report));

    // Re-evaluating one plugin keeps the others' results of the same protocol.
    const one = evalScript(
      '--data',
      join(dir, 'data'),
      '--weights-dir',
      join(dir, 'weights'),
      '--only',
      'dehaze',
      '--out',
      join(dir, 'out'),
    );
    expect(one.status, one.stderr).toBe(0);
    const merged = JSON.parse(await readFile(join(dir, 'out', 'eval.json'), 'utf8')) as EvalReport;
    expect(numbers(merged)).toEqual(numbers(report));
  });
});
