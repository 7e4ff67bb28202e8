/**
 * A real training run: DuRN-P on 32×32 patches of generated scenes with Gaussian noise σ 50, two
 * worker threads, tfjs wasm. Checks that validation improves, that an interrupted run resumed from
 * its checkpoint reproduces the uninterrupted loss curve, and that the weights file is usable.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import { loadWeights } from '../../../src/models/weights/safetensors.ts';
import { installWeights } from '../../../src/plugins/install.ts';
import { evaluateModel, train } from '../../../src/plugins/training.ts';
import { loadCheckpoint } from '../../../src/training/checkpoint.ts';
import type { TrainOptions } from '../../../src/training/config.ts';
import type { TrainProgress } from '../../../src/training/progress.ts';
import type { TrainResult } from '../../../src/training/trainer.ts';
import { writeScenes } from './images.ts';

const STEPS = 20;
let dir: string;
let options: TrainOptions;
let full: TrainResult;
const events: TrainProgress[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-train-run-'));
  await writeScenes(join(dir, 'data'), 6, 96, 80);
  await writeScenes(join(dir, 'val'), 3, 72, 64, 'val');
  options = {
    task: 'denoise',
    network: 'durn-p',
    data: join(dir, 'data'),
    val: join(dir, 'val'),
    from: 'scratch',
    sigma: [50],
    steps: STEPS,
    batch: 2,
    patch: 32,
    lr: 2e-3,
    schedule: 'cosine',
    valEvery: 5,
    valPatch: 48,
    checkpointEvery: 5,
    workers: 2,
    ema: 0.9,
    clip: 5,
    seed: 11,
  };
  full = await train(
    { ...options, out: join(dir, 'full.safetensors') },
    { onProgress: (e) => events.push(e) },
  );
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('train (DuRN-P, σ 50, 2 workers)', () => {
  it('lowers the validation loss and raises PSNR', () => {
    expect(full.losses).toHaveLength(STEPS);
    expect(full.validations.map((v) => v.step)).toEqual([5, 10, 15, 20]);
    const first = full.validations[0]!;
    const last = full.validations.at(-1)!;
    expect(last.loss).toBeLessThan(first.loss * 0.8);
    expect(last.psnr).toBeGreaterThan(first.psnr + 0.5);
    expect(full.best?.psnr).toBe(Math.max(...full.validations.map((v) => v.psnr)));
  });

  it('reports progress with throughput and ETA', () => {
    const steps = events.filter((e) => e.type === 'step');
    expect(steps).toHaveLength(STEPS);
    for (const s of steps) {
      expect(s.patchesPerSecond).toBeGreaterThan(0);
      expect(s.etaSeconds).toBeGreaterThanOrEqual(0);
    }
    expect(events[0]?.type).toBe('start');
    expect(events.filter((e) => e.type === 'checkpoint')).toHaveLength(4);
  });

  it('writes weights with provenance and metrics that load as DuRN-P', async () => {
    const w = await loadWeights(full.weightsPath, 'durn-p');
    expect(w.metadata.task).toBe('denoise');
    const p = w.metadata.provenance as Record<string, unknown>;
    expect(p.steps).toBe(STEPS);
    expect(p.seed).toBe(11);
    expect(p.backend).toBe('tfjs wasm');
    expect((p.hardware as { cores: number }).cores).toBeGreaterThan(0);
    expect(p.degradationOptions).toEqual({ sigma: [50] });
    expect(p.synthesis).toMatch(/^gaussian-noise: additive white Gaussian noise/);
    const m = (w.metadata.metrics as Record<string, { psnr: number }>)['validation-denoise-gray'];
    expect(m?.psnr).toBeCloseTo(full.best!.psnr, 6);
    const counter =
      w.tensors.get('norm1.norm.num_batches_tracked') ??
      w.tensors.get([...w.tensors.keys()].find((k) => k.endsWith('num_batches_tracked'))!);
    expect(counter?.data[0]).toBe(BigInt(full.best!.step));
  });

  it('resumes an interrupted run exactly', async () => {
    const out = join(dir, 'resumed.safetensors');
    const controller = new AbortController();
    const interrupted = train(
      { ...options, out },
      {
        signal: controller.signal,
        onProgress: (e) => e.type === 'step' && e.step === 8 && controller.abort(),
      },
    );
    await expect(interrupted).rejects.toSatisfy((e) => e instanceof DurnUserError && e.code === 'ABORTED');
    const ckpt = join(dir, 'resumed.ckpt.safetensors');
    expect((await loadCheckpoint(ckpt)).state.step).toBe(8);
    // `--steps <steps done>` ends the stopped run: its weights are written as they are.
    const ended = await train({ ...options, out: join(dir, 'ended.safetensors'), resume: ckpt, steps: 8 });
    expect(ended.step).toBe(8);
    const endedMeta = (await loadWeights(ended.weightsPath)).metadata.provenance as Record<string, unknown>;
    expect(endedMeta.steps).toBe(8);
    const resumed = await train({ ...options, out, resume: ckpt });
    expect(resumed.losses).toHaveLength(STEPS);
    for (let i = 0; i < STEPS; i++) expect(Math.abs(resumed.losses[i]! - full.losses[i]!)).toBeLessThan(1e-6);
    expect(resumed.validations).toEqual(full.validations);
    // Same best weights, byte for byte, apart from the metadata.
    const a = await loadWeights(full.weightsPath);
    const b = await loadWeights(out);
    for (const [k, t] of a.tensors) expect(b.tensors.get(k)?.data).toEqual(t.data);
    // Provenance names every process that trained the run.
    const sessions = (b.metadata.provenance as { sessions: { fromStep: number; toStep: number }[] }).sessions;
    expect(sessions.map((x) => [x.fromStep, x.toStep])).toEqual([
      [0, 8],
      [8, STEPS],
    ]);
  }, 600_000);

  it('evaluates the trained weights on whole images and installs them', async () => {
    const r = await evaluateModel({
      task: 'denoise',
      network: 'durn-p',
      data: join(dir, 'val'),
      weights: full.weightsPath,
      sigma: [50],
    });
    expect(r.rows.map((row) => row.method)).toEqual([
      'degraded input',
      'DuRN-P (full.safetensors)',
      'median 3×3',
      'gaussian σ=1',
    ]);
    expect(r.rows[1]!.psnr).toBeGreaterThan(r.rows[0]!.psnr);
    const prev = process.env.DURN_MODELS_DIR;
    process.env.DURN_MODELS_DIR = join(dir, 'models');
    try {
      const target = await installWeights(full.weightsPath);
      expect(target).toBe(join(dir, 'models', 'denoise-gray.durn-p.safetensors'));
      expect((await readFile(target)).equals(await readFile(full.weightsPath))).toBe(true);
    } finally {
      if (prev === undefined) delete process.env.DURN_MODELS_DIR;
      else process.env.DURN_MODELS_DIR = prev;
    }
  });
});
