/**
 * What the package promises to a host application: `engines` is the true minimum (no dependency
 * asks for more), importing durn loads no experimental module (node:sqlite only for watch), the
 * public types are exported, and the one-shot restore() is typed by its output.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, test } from 'vitest';
import type { BuiltInPresetName, DurnErrorCode, OutputFormat, PresetName, TaskName } from '../src/index.ts';
import { restore } from '../src/index.ts';
import { taskIds } from '../src/plugins/registry.ts';
import { ensureBuilt, ROOT } from './helpers/binary.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const version = (v: string) =>
  v
    .replace(/^[>=\s]+/, '')
    .split('.')
    .map(Number) as [number, number, number];
const atLeast = (a: number[], b: number[]) =>
  a[0]! - b[0]! || (a[1] ?? 0) - (b[1] ?? 0) || (a[2] ?? 0) - (b[2] ?? 0);

describe('package', () => {
  test('engines.node is at least what every runtime dependency requires', () => {
    const ours = version(pkg.engines.node);
    for (const dep of Object.keys(pkg.dependencies)) {
      const wanted = JSON.parse(readFileSync(join(ROOT, 'node_modules', dep, 'package.json'), 'utf8')).engines
        ?.node;
      if (typeof wanted !== 'string' || !/^>=\s*\d/.test(wanted.trim())) continue;
      expect(atLeast(ours, version(wanted.trim())), `${dep} wants ${wanted}`).toBeGreaterThanOrEqual(0);
    }
    // node:sqlite is unflagged from 22.13 (watch's ledger); chokidar 6 asks for 22.22.
    expect(atLeast(ours, [22, 13, 0])).toBeGreaterThanOrEqual(0);
  });

  test("import('durn') loads no node:sqlite and prints no warning into the host", async () => {
    await ensureBuilt();
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "await import('durn'); console.log(JSON.stringify(process.moduleLoadList.filter((m) => /sqlite/.test(m))))",
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.stderr).toBe('');
  }, 300_000);

  test('the README says the package is ESM-only', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/ESM-only/);
  });
});

describe('public types', () => {
  test('task and preset names match what durn ships', () => {
    const tasks: TaskName[] = ['denoise', 'deblur', 'dehaze', 'raindrop', 'derain'];
    expect([...taskIds()].sort()).toEqual([...tasks].sort());
    const builtIn: BuiltInPresetName[] = [...tasks, 'hazy-and-noisy', 'rainy-window', 'night-shot'];
    const shipped = readdirSync(join(ROOT, 'presets')).map((f) => f.replace(/\.ya?ml$/, ''));
    expect(shipped.sort()).toEqual([...builtIn].sort());
    expectTypeOf<'my-own'>().toExtend<PresetName>();
    expectTypeOf<'jpeg'>().toExtend<OutputFormat>();
    expectTypeOf<'ABORTED'>().toExtend<DurnErrorCode>();
  });

  test('restore() returns a string with an output, a Buffer without', () => {
    expectTypeOf(restore).toBeCallableWith(Buffer.alloc(0), { task: 'denoise' });
    const toFile = () => restore('in.jpg', { task: 'denoise', output: 'out.jpg' });
    const toBuffer = () => restore('in.jpg', { task: 'denoise' });
    expectTypeOf(toFile).returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf(toBuffer).returns.toEqualTypeOf<Promise<Buffer>>();
    // An output known only at run time is not claimed to be a Buffer.
    const maybe = (output: string | undefined) => restore('in.jpg', { task: 'denoise', output });
    expectTypeOf(maybe).returns.toEqualTypeOf<Promise<Buffer | string>>();
  });
});
