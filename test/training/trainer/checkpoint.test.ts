import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETWORK_DEFAULTS, train } from '../../../src/plugins/training.ts';
import {
  type Checkpoint,
  decodeCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from '../../../src/training/checkpoint.ts';
import { parseTrainOptions, resolveConfig } from '../../../src/training/config.ts';
import { createRng } from '../../../src/training/rng.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-train-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function sample(): Checkpoint {
  const config = resolveConfig(
    parseTrainOptions({ task: 'denoise', data: '/photos', sigma: [50], ema: 0.999 }),
    'durn-p',
    NETWORK_DEFAULTS['durn-p'],
    {
      fineTuning: false,
      workers: 2,
      degradationOptions: { sigma: [50] },
    },
  );
  const f = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * s) / 3);
  return {
    state: {
      config,
      step: 7,
      adamT: 7,
      batchesBase: 0,
      losses: [0.3, 0.2, 0.125],
      validations: [{ step: 5, loss: 0.01, psnr: 20.5, ssim: 0.5 }],
      best: { step: 5, loss: 0.01, psnr: 20.5, ssim: 0.5 },
      wallSeconds: 12.5,
      rng: createRng(0).state(),
      layout: { trainable: ['a.weight'], buffers: ['a.running_mean'] },
      startWeights: 'scratch',
    },
    arrays: {
      params: f(13, 1),
      buffers: f(3, 2),
      adamM: f(13, 3),
      adamV: f(13, 4),
      ema: f(13, 5),
      bestParams: null,
      bestBuffers: null,
    },
  };
}

describe('checkpoints', () => {
  it('round-trip every array bit for bit and the state as JSON', async () => {
    const c = sample();
    const path = join(dir, 'run.ckpt.safetensors');
    await saveCheckpoint(path, c);
    const back = await loadCheckpoint(path);
    expect(back.state).toEqual(c.state);
    expect(back.arrays.params).toEqual(c.arrays.params);
    expect(back.arrays.adamV).toEqual(c.arrays.adamV);
    expect(back.arrays.ema).toEqual(c.arrays.ema);
    expect(back.arrays.bestParams).toBeNull();
    // A safetensors reader sees an aligned header and F32 tensors.
    const buf = await readFile(path);
    const len = Number(buf.readBigUInt64LE(0));
    expect((8 + len) % 8).toBe(0);
    expect(JSON.parse(buf.subarray(8, 8 + len).toString()).params).toEqual({
      dtype: 'F32',
      shape: [13],
      data_offsets: [0, 52],
    });
  });

  it('refuses other files with a CHECKPOINT_INVALID error', async () => {
    const path = join(dir, 'bogus.safetensors');
    await writeFile(path, Buffer.from('not a checkpoint at all'));
    await expect(loadCheckpoint(path)).rejects.toMatchObject({ code: 'CHECKPOINT_INVALID' });
    const good = await readFile(join(dir, 'run.ckpt.safetensors'));
    expect(() => decodeCheckpoint(good.subarray(0, good.length - 8), 'cut')).toThrow(/bad tensor/);
  });

  it('a resume refuses other data or another task, and a fresh run needs --data', async () => {
    const path = join(dir, 'run.ckpt.safetensors');
    await expect(train({ task: 'denoise', data: '/elsewhere', resume: path })).rejects.toThrow(
      /trains denoise on \/photos, not what was given/,
    );
    await expect(train({ task: 'deblur', resume: path })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(train({ task: 'denoise' })).rejects.toThrow(/Training needs --data/);
  });
});
