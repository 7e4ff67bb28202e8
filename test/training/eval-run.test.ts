/**
 * `evaluateModel` on small generated photos with scratch weights: one pass per σ at exactly that
 * σ, ONNX and tfjs agreeing, the clean-photo row, and determinism.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectProtocol } from '../../src/plugins/eval-protocol.ts';
import { evaluateModel } from '../../src/plugins/training.ts';
import { renderSummaryTable } from '../../src/training/eval-report.ts';
import type { EvalResult } from '../../src/training/eval-run.ts';
import { padReflect } from '../../src/training/evaluate.ts';
import { writeScratchWeights } from '../helpers/models.ts';

let dir: string;
let weights: string;

/** Smooth mid-grey scenes (values 0.3–0.7), so that σ 30 noise is almost never clipped. */
async function writeMidGrey(folder: string, count: number): Promise<void> {
  const sizes = [
    [40, 32],
    [29, 37],
    [33, 33],
  ] as const;
  for (let i = 0; i < count; i++) {
    const [w, h] = sizes[i % sizes.length]!;
    const px = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = 0.5 + 0.2 * Math.sin((x + 3 * i) / 5) * Math.cos(y / 7);
        px.fill(Math.round(v * 255), (y * w + x) * 3, (y * w + x) * 3 + 3);
      }
    }
    await sharp(px, { raw: { width: w, height: h, channels: 3 } })
      .png()
      .toFile(join(folder, `grey-${i}.png`));
  }
}

const run = (extra: Partial<Parameters<typeof evaluateModel>[0]> = {}) =>
  evaluateModel({ task: 'denoise', network: 'durn-p', data: dir, weights, sigma: [30, 50, 70], ...extra });

const numbers = (r: EvalResult) => ({ passes: r.passes, clean: r.clean, hash: r.weightsHash });

let onnx: EvalResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-eval-'));
  await writeMidGrey(dir, 3);
  weights = (await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p']))[0]!;
  onnx = await run({ engine: 'onnx' });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('evaluateModel', () => {
  it('gives one result per σ, each image degraded at exactly that σ', () => {
    expect(onnx.images).toBe(3);
    expect(onnx.engine).toMatch(/^onnx/);
    expect(onnx.passes.map((p) => p.sigma)).toEqual([30, 50, 70]);
    const noisy = onnx.passes.map((p) => p.rows.find((r) => r.kind === 'input')!.psnr);
    // 20·log10(255/30) = 18.59 dB for unclipped noise; clipping and 8-bit rounding move it a little.
    expect(noisy[0]).toBeGreaterThan(18.3);
    expect(noisy[0]).toBeLessThan(19.0);
    expect(noisy[1]).toBeLessThan(noisy[0]! - 3);
    expect(noisy[2]).toBeLessThan(noisy[1]! - 2);
    expect(onnx.rows).toBe(onnx.passes[0]!.rows);
    expect(onnx.rows.map((r) => r.kind)).toEqual(['input', 'network', 'baseline', 'baseline']);
  });

  it('seeds the noise per image and σ, not by the list it came in', async () => {
    const alone = await run({ sigma: [50], engine: 'onnx' });
    expect(alone.passes).toHaveLength(1);
    expect(alone.passes[0]).toEqual(onnx.passes[1]);
  });

  it('scores the network on the clean photos once', () => {
    expect(onnx.clean.method).toBe('DuRN-P on clean photos');
    expect(Number.isFinite(onnx.clean.psnr)).toBe(true);
    expect(onnx.clean.ssim).toBeGreaterThan(-1);
    expect(onnx.clean.ssim).toBeLessThanOrEqual(1);
  });

  it('agrees between the onnx and tfjs engines within 0.01 dB', async () => {
    const tfjs = await run({ engine: 'tfjs', sigma: [30] });
    expect(tfjs.engine).toMatch(/^tfjs/);
    for (const [k, row] of tfjs.passes[0]!.rows.entries()) {
      expect(Math.abs(row.psnr - onnx.passes[0]!.rows[k]!.psnr)).toBeLessThan(0.01);
    }
    expect(Math.abs(tfjs.clean.psnr - onnx.clean.psnr)).toBeLessThan(0.01);
  });

  it('is deterministic', async () => {
    expect(numbers(await run({ engine: 'onnx' }))).toEqual(numbers(onnx));
  });

  it('evaluates the paper σ levels by default and refuses --sigma for other tasks', async () => {
    const r = await evaluateModel({ task: 'denoise', network: 'durn-p', data: dir, weights, limit: 1 });
    expect(r.passes.map((p) => p.sigma)).toEqual([30, 50, 70]);
    await expect(evaluateModel({ task: 'deblur', data: dir, weights, sigma: [50] })).rejects.toThrow(
      /--sigma applies to Gaussian denoising/,
    );
  });
});

describe('colour denoising degradations', () => {
  it('measures camera-pipeline noise by default, camera-noise on request, and refuses unknown names', async () => {
    const [colour] = await writeScratchWeights(join(dir, 'colour'), 'denoise', ['durn-p-nonorm']);
    const base = { task: 'denoise', network: 'durn-p-nonorm', data: dir, weights: colour!, limit: 2 };
    const pipeline = await evaluateModel(base);
    expect(pipeline.task).toBe('denoise-rgb');
    expect(pipeline.degradation).toBe('camera-pipeline-noise');
    const old = await evaluateModel({ ...base, degradation: 'denoise-rgb' });
    expect(old.degradation).toBe('camera-noise');
    const input = (r: EvalResult) => r.rows.find((row) => row.kind === 'input')!.psnr;
    expect(input(old)).not.toBe(input(pipeline));
    // Real pairs (here the photos paired with themselves) are read, not synthesised.
    const paired = await evaluateModel({ ...base, pairs: dir });
    expect(paired.degradation).toBe('pairs');
    expect(input(paired)).toBeGreaterThan(60);
    await expect(evaluateModel({ ...base, degradation: 'sharpen' })).rejects.toThrow(
      /camera-pipeline-noise.*for --degradation but received "sharpen"/,
    );
    await expect(evaluateModel({ ...base, degradation: 'camera-noise', pairs: dir })).rejects.toThrow(
      /--degradation synthesises/,
    );
  });

  it('the protocol evaluates the colour denoiser on new and old noise, labelled in the summary', () => {
    const entries = selectProtocol(['durn-p-nonorm']);
    expect(entries.map((e) => [e.id, e.degradation])).toEqual([
      ['denoise-camera', 'camera-pipeline-noise'],
      ['denoise-rgb', 'camera-noise'],
    ]);
    expect(selectProtocol(['denoise-camera'])).toHaveLength(1);
    expect(selectProtocol(['durn-p']).map((e) => [e.id, e.degradation])).toEqual([
      ['denoise-gray', undefined],
    ]);
    const row = { method: 'm', kind: 'input' as const, psnr: 30, ssim: 0.9 };
    const result = (id: string, degradation: string) => ({
      id,
      degradation,
      task: 'denoise',
      network: 'durn-p-nonorm' as const,
      title: 'DuRN-P without norm',
      colorSpace: 'rgb' as const,
      weights: { path: 'w', source: 'bundled', hash: 'h' },
      images: 1,
      engine: 'onnx',
      passes: [{ rows: [row, { ...row, kind: 'network' as const, psnr: 32 }] }],
      clean: row,
      seconds: 1,
    });
    const table = renderSummaryTable({
      date: '',
      wallSeconds: 0,
      engine: '',
      data: '',
      protocol: { seed: 's', limit: 1, grayLimit: null, sigmas: [] },
      results: [result('denoise-camera', 'camera-pipeline-noise'), result('denoise-rgb', 'camera-noise')],
      skipped: [],
      failed: [],
    });
    expect(table).toMatch(/\| denoise \(`durn-p-nonorm`\) camera-pipeline-noise +\|/);
    expect(table).toMatch(/\| denoise \(`durn-p-nonorm`\) camera-noise +\|/);
  });
});

describe('padReflect', () => {
  it('reflects without repeating the edge, however far', () => {
    const row = { channels: 1, height: 1, width: 3, data: Float32Array.from([1, 2, 3]) };
    expect([...padReflect(row, 2, 8).data]).toEqual([1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2]);
  });
});
