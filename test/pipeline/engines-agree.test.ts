/**
 * The two engines agree end to end: the same photo restored by `runRestore` with the ONNX engine
 * and with the TensorFlow.js engine gives the same pixels once quantised (8-bit: within 1 level;
 * 16-bit: within 257, i.e. one 8-bit level). And the CLI uses ONNX unless told otherwise, as
 * its JSON run summary says.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, RunSummary } from '../../src/pipeline/events.ts';
import { closeMetadata } from '../../src/pipeline/metadata/exiftool.ts';
import { runRestore } from '../../src/pipeline/run/run.ts';
import { toRaw8 } from '../../src/pipeline/samples/sample-set.ts';
import { generateGrayScene, generateScene } from '../../src/pipeline/samples/scenes.ts';
import { writeScratchWeights } from '../helpers/models.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const W = 64;
const H = 48;
let dir: string;
let photos: string;
const savedEnv = { models: process.env.DURN_MODELS_DIR, engine: process.env.DURN_ENGINE };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-engines-agree-'));
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  delete process.env.DURN_ENGINE;
  await writeScratchWeights(join(dir, 'models'), 'denoise');
  photos = join(dir, 'photos');
  await mkdir(photos);
  // An 8-bit colour photo (the RGB network) and a 16-bit grey one (the grey network).
  const colour = generateScene({ width: W, height: H, seed: 21 });
  await sharp(toRaw8(colour), { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(join(photos, 'colour.png'));
  const grey = generateGrayScene({ width: W, height: H, seed: 22 });
  const grey16 = Uint16Array.from(grey.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 65535));
  await sharp(grey16, { raw: { width: W, height: H, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toFile(join(photos, 'grey16.png'));
});

afterAll(async () => {
  for (const [key, value] of [
    ['DURN_MODELS_DIR', savedEnv.models],
    ['DURN_ENGINE', savedEnv.engine],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await closeMetadata();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function restoreWith(engine: 'onnx' | 'tfjs'): Promise<{ out: string; summary: RunSummary }> {
  const out = join(dir, `out-${engine}`);
  const events: RunEvent[] = [];
  const summary = await runRestore(
    { inputs: [photos], task: 'denoise', outDir: out, engine, workers: 1 },
    (e) => events.push(e),
  );
  expect(summary).toMatchObject({ done: 2, failed: 0 });
  expect(events.find((e) => e.type === 'run-start')).toMatchObject({ engine });
  return { out, summary };
}

async function pixels(file: string, depth: 8 | 16): Promise<{ values: ArrayLike<number>; channels: number }> {
  const { data, info } = await sharp(file)
    .keepIccProfile()
    .raw(depth === 16 ? { depth: 'ushort' } : {})
    .toBuffer({ resolveWithObject: true });
  const values = depth === 16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data;
  return { values, channels: info.channels };
}

function compare(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  full: number,
): { max: number; interior: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let interior = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i]! - b[i]!));
    // Clipped outputs agree trivially; the comparison means something only if most are not.
    if (a[i]! > 0 && a[i]! < full) interior++;
  }
  return { max, interior: interior / a.length };
}

describe('engines agree end to end', () => {
  it('runRestore with onnx and with tfjs writes the same pixels (8-bit colour, 16-bit grey)', async () => {
    const onnx = await restoreWith('onnx');
    const tfjs = await restoreWith('tfjs');
    expect(onnx.summary.engine).toMatch(/^onnx cpu/);
    expect(tfjs.summary.engine).toMatch(/^tfjs /);

    const [o8, t8] = await Promise.all([
      pixels(join(onnx.out, 'colour.png'), 8),
      pixels(join(tfjs.out, 'colour.png'), 8),
    ]);
    expect([o8.channels, t8.channels]).toEqual([3, 3]);
    const c8 = compare(o8.values, t8.values, 255);
    expect(c8.interior).toBeGreaterThan(0.5);
    expect(c8.max).toBeLessThanOrEqual(1);

    const oMeta = await sharp(join(onnx.out, 'grey16.png')).metadata();
    expect([oMeta.depth, oMeta.channels]).toEqual(['ushort', 1]);
    const [o16, t16] = await Promise.all([
      pixels(join(onnx.out, 'grey16.png'), 16),
      pixels(join(tfjs.out, 'grey16.png'), 16),
    ]);
    const c16 = compare(o16.values, t16.values, 65535);
    expect(c16.interior).toBeGreaterThan(0.5);
    expect(c16.max).toBeLessThanOrEqual(257);
    console.log(`onnx vs tfjs: 8-bit max ${c8.max} level(s), 16-bit max ${c16.max}/65535`);

    // The restoration did something: a comparison of two copies of the input would prove nothing.
    const input = await pixels(join(photos, 'colour.png'), 8);
    expect(compare(input.values, o8.values, 255).max).toBeGreaterThan(4);
  });

  it('`durn restore --json` runs on the ONNX engine by default and says so in its summary', async () => {
    const out = join(dir, 'out-cli');
    const env: NodeJS.ProcessEnv = { ...process.env, DURN_MODELS_DIR: join(dir, 'models') };
    delete env.DURN_ENGINE;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        CLI,
        'restore',
        join(photos, 'colour.png'),
        '--task',
        'denoise',
        '--out',
        out,
        '--json',
        '--workers',
        '1',
      ],
      { env, maxBuffer: 16 << 20 },
    );
    const events = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RunEvent);
    expect(events[0]).toMatchObject({ type: 'run-start', engine: 'auto' });
    const done = events.at(-1)!;
    expect(done.type).toBe('run-done');
    expect(done.type === 'run-done' && done.summary).toMatchObject({ done: 1, failed: 0 });
    expect(done.type === 'run-done' ? done.summary.engine : '').toMatch(/^onnx cpu \(\d+ threads?\)$/);
  });
});
