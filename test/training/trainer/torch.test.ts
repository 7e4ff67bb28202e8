/**
 * Training on the torch engine (CPU) against the tfjs engine on the same seed: the first steps'
 * losses agree within float tolerance (DuRN-P; DuRN-U for its instance norms; DuRN-S-P from the
 * identity, where L1 meets pred = target), a checkpoint written by either engine resumes on the
 * other (one checkpoint format), bf16 on a CPU that has it, `minutes` stops a run cleanly, and
 * provenance names the engine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import { loadWeights } from '../../../src/models/weights/safetensors.ts';
import { train } from '../../../src/plugins/training.ts';
import { loadCheckpoint } from '../../../src/training/checkpoint.ts';
import type { TrainOptions } from '../../../src/training/config.ts';
import type { TrainResult } from '../../../src/training/trainer.ts';
import { describeTorch, TORCH } from '../../helpers/torch.ts';
import { writeScenes } from './images.ts';

const STEPS = 4;
let dir = '';
let base: TrainOptions;
let tfjs: TrainResult;
let torch: TrainResult;

/** Relative difference of two losses. */
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

async function interrupted(o: TrainOptions, at: number): Promise<string> {
  const controller = new AbortController();
  const run = train(o, {
    signal: controller.signal,
    onProgress: (e) => e.type === 'step' && e.step === at && controller.abort(),
  });
  await expect(run).rejects.toSatisfy((e) => e instanceof DurnUserError && e.code === 'ABORTED');
  return o.checkpoint!;
}

describeTorch('training on the torch engine (CPU)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'durn-torch-train-'));
    await writeScenes(join(dir, 'data'), 4, 80, 72);
    base = {
      task: 'denoise',
      network: 'durn-p',
      data: join(dir, 'data'),
      from: 'scratch',
      sigma: [50],
      steps: STEPS,
      batch: 2,
      patch: 32,
      lr: 1e-3,
      schedule: 'cosine',
      valEvery: 2,
      valLimit: 2,
      valPatch: 32,
      checkpointEvery: 2,
      workers: 1, // one BatchNorm batch, as the torch engine computes it
      ema: 0.9,
      clip: 5,
      seed: 5,
    };
    tfjs = await train({ ...base, engine: 'tfjs', out: join(dir, 'tfjs.safetensors') });
    torch = await train({
      ...base,
      engine: 'torch',
      device: 'cpu',
      threads: 1,
      out: join(dir, 'torch.safetensors'),
    });
  }, 600_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('agrees with tfjs on the first steps of the same seed', () => {
    const diffs = torch.losses.map((l, i) => rel(l, tfjs.losses[i]!));
    console.log(`loss tfjs ${tfjs.losses.join(', ')}\nloss torch ${torch.losses.join(', ')}`);
    expect(diffs[0]).toBeLessThan(1e-5); // same weights, same batch: only float summation order differs
    for (const d of diffs) expect(d).toBeLessThan(1e-3);
    for (let i = 0; i < tfjs.validations.length; i++) {
      expect(Math.abs(torch.validations[i]!.psnr - tfjs.validations[i]!.psnr)).toBeLessThan(0.01);
    }
  });

  /** Three steps of `network` from the identity on each engine (1 torch thread): their losses. */
  async function firstSteps(
    task: string,
    network: TrainOptions['network'],
  ): Promise<readonly [tfjs: readonly number[], torch: readonly number[]]> {
    const { sigma: _, ...rest } = base;
    const o: TrainOptions = { ...rest, task, network, steps: 3, valEvery: 3, valLimit: 1, lr: 1e-4 };
    const a = await train({ ...o, engine: 'tfjs', out: join(dir, `${network}-tfjs.safetensors`) });
    const b = await train({
      ...o,
      engine: 'torch',
      device: 'cpu',
      threads: 1,
      out: join(dir, `${network}-torch.safetensors`),
    });
    console.log(`${network} loss tfjs ${a.losses.join(', ')}\n${network} loss torch ${b.losses.join(', ')}`);
    expect(rel(b.losses[0]!, a.losses[0]!)).toBeLessThan(1e-5); // the forward passes agree
    return [a.losses, b.losses];
  }

  // Instance norm, which the torch engine runs as one fused kernel when no statistics are frozen
  // (DuRN-U): equal first losses say the forward passes agree; equal later ones, that the
  // gradients (through Adam) do. Transposed convolutions (subpixel.py) are checked against
  // PyTorch's own, gradients included, in test/models/engines/torch/subpixel.test.ts.
  it("agrees with tfjs on durn-u's first steps (instance norm)", async () => {
    const [a, b] = await firstSteps('deblur', 'durn-u');
    for (let i = 0; i < 3; i++) expect(rel(b[i]!, a[i]!)).toBeLessThan(1e-3);
  }, 600_000);

  // From the identity start the output equals the input, so every undamaged pixel has
  // pred = target exactly: L1's gradient there must be PyTorch's 0 (tfjs's abs says −1), or the
  // engines part at step 2 (they did by 0.19% before losses.ts took |d| as d·sign(d)).
  it("agrees with tfjs on durn-s-p's first steps from the identity (L1 where pred = target)", async () => {
    const [a, b] = await firstSteps('raindrop', 'durn-s-p');
    for (let i = 0; i < 3; i++) expect(rel(b[i]!, a[i]!)).toBeLessThan(5e-4);
  }, 600_000);

  it('names the engine, device, precision and torch version in provenance', async () => {
    const p = (await loadWeights(torch.weightsPath, 'durn-p')).metadata.provenance as Record<string, unknown>;
    expect(p.engine).toBe('torch');
    expect(p.device).toBe('cpu');
    expect(p.precision).toBe('fp32');
    expect(String(p.torch)).toMatch(/^\d+\.\d+/);
    expect(String(p.backend)).toMatch(/^torch .* cpu \(1 threads?\)$/); // --threads reached torch
    expect(torch.dataWait).toBeGreaterThanOrEqual(0);
  });

  // bf16 autocast on the CPU: where oneDNN runs it natively (AVX-512 BF16, AMX) the losses stay
  // within bf16's rounding (8-bit mantissa) of fp32's; elsewhere durn refuses it up front.
  it('trains in bf16 on a CPU with native bf16, and refuses it on one without', async () => {
    const o: TrainOptions = {
      ...base,
      engine: 'torch',
      device: 'cpu',
      threads: 1,
      precision: 'bf16',
      out: join(dir, 'bf16.safetensors'),
    };
    if (!TORCH!.cpuBf16) {
      await expect(train(o)).rejects.toSatisfy(
        (e) => e instanceof DurnUserError && e.code === 'DEVICE_UNAVAILABLE' && /native bf16/.test(e.message),
      );
      return;
    }
    const r = await train(o);
    console.log(`loss bf16 ${r.losses.join(', ')}`);
    for (let i = 0; i < STEPS; i++) expect(rel(r.losses[i]!, torch.losses[i]!)).toBeLessThan(2e-2);
    expect(r.losses.some((l, i) => l !== torch.losses[i])).toBe(true); // bf16 did run
    const p = (await loadWeights(r.weightsPath, 'durn-p')).metadata.provenance as Record<string, unknown>;
    expect(p.precision).toBe('bf16');
    expect(String(p.backend)).toMatch(/ cpu \(1 threads?\) bf16$/);
  }, 600_000);

  it('resumes a tfjs checkpoint on torch and a torch checkpoint on tfjs', async () => {
    const a = await interrupted(
      { ...base, engine: 'tfjs', out: join(dir, 'a.safetensors'), checkpoint: join(dir, 'a.ckpt') },
      2,
    );
    const onTorch = await train({
      ...base,
      engine: 'torch',
      device: 'cpu',
      resume: a,
      out: join(dir, 'a.safetensors'),
    });
    const b = await interrupted(
      {
        ...base,
        engine: 'torch',
        device: 'cpu',
        out: join(dir, 'b.safetensors'),
        checkpoint: join(dir, 'b.ckpt'),
      },
      2,
    );
    expect((await loadCheckpoint(b)).state.adamT).toBe(2);
    const onTfjs = await train({ ...base, engine: 'tfjs', resume: b, out: join(dir, 'b.safetensors') });
    for (const r of [onTorch, onTfjs]) {
      expect(r.losses).toHaveLength(STEPS);
      for (let i = 0; i < STEPS; i++) expect(rel(r.losses[i]!, tfjs.losses[i]!)).toBeLessThan(1e-3);
    }
    const sessions = (await loadCheckpoint(b)).state.sessions!;
    expect(sessions.map((s) => s.backend.split(' ')[0])).toEqual(['torch', 'tfjs']);
  }, 600_000);

  it('takes its batch worker count from `workers`, which never changes the batches', async () => {
    const two = await train({
      ...base,
      engine: 'torch',
      device: 'cpu',
      workers: 2,
      threads: 1, // as \`torch\`: other thread counts sum in another order (~1e-6)
      out: join(dir, 'w2.safetensors'),
    });
    expect(torch.engine.workers).toBe(1);
    expect(two.engine.workers).toBe(2);
    expect(two.losses).toHaveLength(STEPS);
    for (let i = 0; i < STEPS; i++) expect(rel(two.losses[i]!, torch.losses[i]!)).toBeLessThan(1e-6);
  }, 600_000);

  it('stops cleanly after `minutes` with a checkpoint and weights', async () => {
    const r = await train({
      ...base,
      engine: 'torch',
      device: 'cpu',
      steps: 1000,
      minutes: 0.001,
      out: join(dir, 'timed.safetensors'),
    });
    expect(r.stoppedEarly).toBe(true);
    expect(r.step).toBeGreaterThanOrEqual(1);
    expect(r.step).toBeLessThan(1000);
    expect((await loadCheckpoint(r.checkpointPath)).state.step).toBe(r.step);
    expect((await loadWeights(r.weightsPath, 'durn-p')).metadata.arch).toBe('durn-p');
  }, 600_000);

  it('with scheduleByTime, the schedule runs its course in the minutes given, not the steps', async () => {
    const lrs: number[] = [];
    const r = await train(
      {
        ...base,
        engine: 'torch',
        device: 'cpu',
        steps: 100_000,
        warmup: 0,
        minutes: 0.15,
        scheduleByTime: true,
        out: join(dir, 'by-time.safetensors'),
      },
      { onProgress: (e) => e.type === 'step' && lrs.push(e.lr) },
    );
    expect(r.stoppedEarly).toBe(true);
    expect(lrs.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]!).toBeLessThanOrEqual(lrs[i - 1]!);
    // By steps alone, step ~10 of 100,000 is still at the base rate (1e-3).
    expect(lrs.at(-1)!).toBeLessThan(0.9e-3);
    const sessions = (await loadCheckpoint(r.checkpointPath)).state.sessions!;
    expect(sessions.at(-1)!.scheduleMinutes).toBe(0.15);
  }, 600_000);
});
