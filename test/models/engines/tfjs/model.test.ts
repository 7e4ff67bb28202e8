import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../../src/core/errors.ts';
import { initTfjs } from '../../../../src/models/engines/tfjs/backend.ts';
import { runGraph } from '../../../../src/models/engines/tfjs/interpreter.ts';
import { TfjsModel } from '../../../../src/models/engines/tfjs/model.ts';
import { createTfjsSession } from '../../../../src/models/engines/tfjs/session.ts';
import { GraphBuilder } from '../../../../src/models/graph/builder.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import { initialWeights } from '../../../../src/models/weights/init.ts';
import {
  maxAbsDiff,
  numericalGrad,
  randomTensor,
  randomValues,
  relativeError,
  useBackend,
} from './helpers.ts';

const mse = (p: tf.Tensor4D, t: tf.Tensor4D) => tf.mean(tf.squaredDifference(p, t)) as tf.Scalar;

describe('TfjsModel on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('round-trips a state_dict exactly, int64 counters included', () => {
    const def = getNetwork('durn-s-p'); // transposed-conv and linear layouts besides conv
    const weights = initialWeights(def, 3);
    const model = TfjsModel.fromStateDict(def, weights);
    const back = model.toStateDict();
    expect([...back.keys()].sort()).toEqual([...weights.keys()].sort());
    for (const [key, t] of weights) {
      const b = back.get(key)!;
      expect(b.shape, key).toEqual(t.shape);
      expect(b.dtype, key).toBe(t.dtype);
      expect(b.data.length, key).toBe(t.data.length);
      const same = b.data.every((v, i) => v === t.data[i]);
      expect(same, key).toBe(true);
    }
    model.dispose();
  });

  it('rejects weights of the wrong shape with a user error', () => {
    const def = getNetwork('durn-p-nonorm');
    const weights = initialWeights(getNetwork('durn-p'), 0); // 1 input channel, not 3
    expect(() => TfjsModel.fromStateDict(def, weights)).toThrow(DurnUserError);
  });

  it('leaks no tensors over 50 forward passes', () => {
    const def = getNetwork('durn-p-nonorm');
    const model = TfjsModel.fromStateDict(def, initialWeights(def, 1));
    const x = randomTensor<tf.Rank.R4>([1, 20, 18, 3], 1);
    model.predict(x).dispose(); // first call may create cached constants
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) model.predict(x).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });

  it('leaks no tensors over 10 training steps, updates BN statistics, and SGD lowers the loss', () => {
    const def = getNetwork('durn-p');
    const model = TfjsModel.fromStateDict(def, initialWeights(def, 2));
    const x = tf.tidy(() =>
      tf.mul(tf.add(randomTensor<tf.Rank.R4>([2, 16, 16, 1], 4), 1), 0.5),
    ) as tf.Tensor4D;
    const target = tf.tidy(() => tf.mul(x, 0.8)) as tf.Tensor4D;
    const optimizer = tf.train.sgd(1e-3);
    const meanBefore = Array.from(model.variable('norm1.norm.running_mean').dataSync());
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 10; i++) losses.push(model.trainStepWith(optimizer, x, target, mse));
    expect(tf.memory().numTensors).toBe(before);
    expect(losses[9]!).toBeLessThan(losses[0]!);
    const state = model.toStateDict();
    expect(state.get('norm1.norm.num_batches_tracked')!.data[0]).toBe(10n);
    expect(Array.from(state.get('norm1.norm.running_mean')!.data as Float32Array)).not.toEqual(meanBefore);
    optimizer.dispose();
    tf.dispose([x, target]);
    model.dispose();
  });

  it('train-mode BatchNorm and instance norm gradients match numerical ones through the interpreter', () => {
    const b = new GraphBuilder(2);
    let v = b.conv2d(b.input, {
      outC: 3,
      kernel: 3,
      pad: 1,
      padMode: 'reflect',
      weightKey: 'c1.weight',
      biasKey: 'c1.bias',
    });
    v = b.tanh(b.batchNorm(v, 'bn'));
    v = b.conv2d(v, {
      outC: 2,
      kernel: 3,
      dilation: 2,
      pad: 2,
      padMode: 'zero',
      weightKey: 'c2.weight',
      biasKey: null,
    });
    const graph = b.build(b.sigmoid(b.instanceNorm(v, 'in', 1e-5)));
    const params = new Map<string, tf.Tensor>();
    graph.params.forEach((p, i) => {
      if (p.dtype !== 'float32') return;
      const t = randomTensor(p.shape as number[], 100 + i);
      // conv weights OIHW → HWIO, as the model stores them; running stats are unused in train mode.
      params.set(
        p.name,
        p.shape.length === 4 ? tf.transpose(t, [2, 3, 1, 0]) : p.role === 'bn.running_var' ? tf.abs(t) : t,
      );
    });
    const x = randomTensor<tf.Rank.R4>([2, 5, 4, 2], 7);
    const names = ['c1.weight', 'bn.weight', 'c2.weight', 'in.scale', 'in.shift'];
    const f = (...ws: tf.Tensor[]) =>
      runGraph(graph, x, (n) => (names.includes(n) ? ws[names.indexOf(n)]! : params.get(n)!), {
        mode: 'train',
      });
    const inputs = names.map((n) => params.get(n)!);
    const y = f(...inputs);
    const g = randomTensor(y.shape, 8);
    const analytic = tf.grads((...ws: tf.Tensor[]) => f(...ws))(inputs, g);
    names.forEach((n, i) => {
      const numeric = numericalGrad(f, inputs, g, i, 1e-2);
      expect(relativeError(analytic[i]!.dataSync(), numeric), n).toBeLessThan(2e-3);
    });
  });
});

describe('tfjs session and backends', () => {
  it('the cpu backend gives the wasm forward result (DuRN-S-P: deconv, SE, strided convs)', async () => {
    await useBackend('wasm');
    const def = getNetwork('durn-s-p');
    const model = TfjsModel.fromStateDict(def, initialWeights(def, 5));
    const x = tf.tidy(() =>
      tf.mul(tf.add(randomTensor<tf.Rank.R4>([1, 16, 20, 3], 9), 1), 0.5),
    ) as tf.Tensor4D;
    const onWasm = model.predict(x).dataSync().slice();
    await useBackend('cpu');
    const onCpu = model.predict(x).dataSync().slice();
    await useBackend('wasm');
    expect(maxAbsDiff(onCpu, onWasm)).toBeLessThan(1e-5);
    x.dispose();
    model.dispose();
  });

  it('runs planar CHW images and validates their size and channels', async () => {
    const def = getNetwork('durn-u');
    const weights = initialWeights(def, 6);
    const session = await createTfjsSession({ network: def, weights, backend: 'wasm' });
    expect(session.engine).toBe('tfjs');
    expect(session.description).toMatch(/^tfjs wasm/);
    const [h, w] = [12, 16];
    const data = randomValues(3 * h * w, 10).map((v) => (v + 1) / 2);
    const out = await session.run({ data, channels: 3, height: h, width: w });
    expect([out.channels, out.height, out.width]).toEqual([3, h, w]);
    const model = TfjsModel.fromStateDict(def, weights);
    const direct = tf.tidy(() =>
      tf.transpose(
        model.predict(tf.transpose(tf.tensor4d(data, [1, 3, h, w]), [0, 2, 3, 1]) as tf.Tensor4D),
        [0, 3, 1, 2],
      ),
    );
    expect(maxAbsDiff(out.data, direct.dataSync())).toBe(0);
    await expect(session.run({ data, channels: 3, height: 16, width: 12 + 2 })).rejects.toThrow(
      /multiples of 4/,
    );
    await expect(
      session.run({ data: data.subarray(0, h * w), channels: 1, height: h, width: w }),
    ).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    direct.dispose();
    model.dispose();
    await session.dispose();
  });

  it('an explicit backend that cannot load is a user error naming it; a bad env value too', async () => {
    let loadsNode = true;
    try {
      await initTfjs({ backend: 'node' });
    } catch (err) {
      loadsNode = false;
      expect(err).toBeInstanceOf(DurnUserError);
      expect((err as DurnUserError).code).toBe('BACKEND_UNAVAILABLE');
      expect((err as Error).message).toMatch(/"node" failed to load/);
    }
    const auto = await initTfjs({ backend: 'auto' });
    if (!loadsNode) {
      expect(auto.backend).not.toBe('node');
      expect(auto.notes.join('\n')).toMatch(/@tensorflow\/tfjs-node/);
    }
    process.env.DURN_TFJS_BACKEND = 'tpu';
    try {
      await expect(initTfjs()).rejects.toThrow(/DURN_TFJS_BACKEND/);
    } finally {
      delete process.env.DURN_TFJS_BACKEND;
    }
    await useBackend('wasm');
  });
});
