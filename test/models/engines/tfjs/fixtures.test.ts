/**
 * Exactness against the PyTorch reference fixtures, on the wasm backend: the six forward passes,
 * and one training step (loss, every gradient, BatchNorm running statistics).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, expect, it } from 'vitest';
import { TfjsModel } from '../../../../src/models/engines/tfjs/model.ts';
import type { NetworkId } from '../../../../src/models/graph/types.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import { readNpy } from '../../../../src/models/weights/npy.ts';
import { importCheckpoint, readTorchFile } from '../../../../src/models/weights/pytorch/import.ts';
import { describeShared, FIXTURES } from '../../../helpers/shared.ts';
import { maxAbsDiff, relativeError, useBackend } from './helpers.ts';

const ARCH: Record<string, NetworkId> = {
  durn_p: 'durn-p',
  durn_p_no_norm: 'durn-p-nonorm',
  durn_u: 'durn-u',
  durn_us: 'durn-us',
  durn_s: 'durn-s',
  durn_s_p: 'durn-s-p',
};

const fixture = (name: string) => join(FIXTURES, name);

async function nhwc(path: string): Promise<tf.Tensor4D> {
  const a = await readNpy(path);
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(a.data, a.shape as [number, number, number, number]), [0, 2, 3, 1]),
  );
}

describeShared('tfjs engine vs the PyTorch reference (wasm)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  for (const [name, arch] of Object.entries(ARCH)) {
    it(`${name}: forward within 1e-4 of PyTorch`, async () => {
      const { tensors } = await importCheckpoint(fixture(`${name}.zip.pt`), arch);
      const model = TfjsModel.fromStateDict(getNetwork(arch), tensors);
      const x = await nhwc(fixture(`${name}.input.npy`));
      const want = await readNpy(fixture(`${name}.output.npy`));
      const y = tf.tidy(() => tf.transpose(model.predict(x), [0, 3, 1, 2]));
      expect(y.shape).toEqual(want.shape);
      expect(maxAbsDiff(y.dataSync(), want.data)).toBeLessThanOrEqual(1e-4);
      tf.dispose([x, y]);
      model.dispose();
    });
  }

  interface GradCase {
    name: string;
    train_mode: boolean;
    loss: number;
    n_grads: number;
  }

  it('durn_p_no_norm: loss and every gradient match PyTorch (eval mode)', async () => {
    const cases = JSON.parse(await readFile(fixture('grad_index.json'), 'utf8')) as GradCase[];
    const c = cases.find((k) => k.name === 'durn_p_no_norm')!;
    expect(c.train_mode).toBe(false);
    const { model, loss, grads, ref } = await runGradCase('durn_p_no_norm', 'eval');
    expect(Math.abs(loss - c.loss) / c.loss).toBeLessThanOrEqual(1e-5);
    expect(grads.size).toBe(c.n_grads);
    for (const [key, r] of ref) {
      const g = model.toHost(key, grads.get(key)!);
      expect(relativeError(g.data as Float32Array, r.data as Float32Array), key).toBeLessThanOrEqual(1e-3);
    }
    tf.dispose([...grads.values()]);
    model.dispose();
  });

  it('durn_p in train mode: loss, gradients and running statistics match PyTorch', async () => {
    const cases = JSON.parse(await readFile(fixture('grad_index.json'), 'utf8')) as GradCase[];
    const c = cases.find((k) => k.name === 'durn_p')!;
    expect(c.train_mode).toBe(true);
    const { model, loss, grads, ref } = await runGradCase('durn_p', 'train');
    expect(Math.abs(loss - c.loss) / c.loss).toBeLessThanOrEqual(1e-5);
    expect(grads.size).toBe(c.n_grads);
    // Train-mode BatchNorm over 2×32×32 values makes this step ill-conditioned in float32: a
    // ReLU whose input is within 1e-5 of 0 flips, and the batch-statistics terms spread that over
    // whole layers. Measured: float64 PyTorch differs from this float32 fixture by up to 2.3% on
    // a parameter (71 of 82 above 1e-3), a second float32 PyTorch evaluation by up to 0.96%. So
    // each parameter is held to 3e-2, all gradients together to 1e-2, the layers after the last
    // flip-prone norm (norm3, conv4) to 1e-3; conv biases feeding a BatchNorm have a true
    // gradient of 0, so both sides must be negligible.
    let num = 0;
    let den = 0;
    for (const [key, r] of ref) {
      const g = model.toHost(key, grads.get(key)!);
      const gd = g.data as Float32Array;
      const rd = r.data as Float32Array;
      if (/\.conv2d\.bias$/.test(key) && !key.startsWith('conv4.')) {
        expect(Math.hypot(...gd), key).toBeLessThan(1e-5);
        expect(Math.hypot(...rd), key).toBeLessThan(1e-5);
        continue;
      }
      const err = relativeError(gd, rd);
      const strict = key.startsWith('conv4.') || key.startsWith('norm3.');
      expect(err, key).toBeLessThanOrEqual(strict ? 1e-3 : 3e-2);
      for (let i = 0; i < rd.length; i++) {
        num += (gd[i]! - rd[i]!) ** 2;
        den += rd[i]! ** 2;
      }
    }
    expect(Math.sqrt(num / den)).toBeLessThanOrEqual(1e-2);
    const after = await readTorchFile(fixture('durn_p.gradcase.running_after.zip.pt'));
    const state = model.toStateDict();
    expect(after.size).toBeGreaterThan(0);
    for (const [key, r] of after) {
      const mine = state.get(key)!;
      if (r.dtype === 'int64') {
        expect(mine.data[0], key).toBe((r.data as BigInt64Array)[0]);
      } else {
        expect(maxAbsDiff(mine.data as Float32Array, r.data as Float32Array), key).toBeLessThanOrEqual(1e-5);
      }
    }
    tf.dispose([...grads.values()]);
    model.dispose();
  });
});

async function runGradCase(name: string, mode: 'eval' | 'train') {
  const arch = ARCH[name]!;
  const { tensors } = await importCheckpoint(fixture(`${name}.gradcase.weights.zip.pt`), arch);
  const model = TfjsModel.fromStateDict(getNetwork(arch), tensors);
  const x = await nhwc(fixture(`${name}.gradcase.input.npy`));
  const target = await nhwc(fixture(`${name}.gradcase.target.npy`));
  const mse = (p: tf.Tensor4D, t: tf.Tensor4D) => tf.mean(tf.squaredDifference(p, t)) as tf.Scalar;
  // durn_p_no_norm has no BatchNorm, so train and eval coincide; trainStep is the API either way.
  expect(mode === 'train' || !getNetwork(arch).graph.nodes.some((n) => n.op === 'batchNorm')).toBe(true);
  const { loss, grads } = model.trainStep(x, target, mse);
  const ref = await readTorchFile(fixture(`${name}.gradcase.grads.zip.pt`));
  tf.dispose([x, target]);
  return { model, loss, grads, ref };
}
