import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  adamStep,
  averageInto,
  clipByGlobalNorm,
  createAdamState,
  DEFAULT_ADAM,
  emaUpdate,
  globalNorm,
} from '../../../src/training/optimizer.ts';
import { initTrainingBackend } from '../../../src/training/replica.ts';

function values(n: number, seed: number): Float32Array {
  let a = seed;
  return Float32Array.from({ length: n }, () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 1073741824 - 1;
  });
}

describe('Adam on host arrays', () => {
  beforeAll(async () => {
    await initTrainingBackend('cpu');
  });

  it('matches tf.train.adam over several steps with changing gradients', () => {
    const n = 257;
    const p = values(n, 1);
    const v = tf.variable(tf.tensor1d(p));
    const opt = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
    const state = createAdamState(n);
    for (let step = 0; step < 5; step++) {
      const g = values(n, 10 + step);
      opt.applyGradients([{ name: v.name, tensor: tf.tensor1d(g) }]);
      adamStep(p, g, state, 0.01, DEFAULT_ADAM);
    }
    const ref = v.dataSync();
    for (let i = 0; i < n; i++) expect(p[i]).toBeCloseTo(ref[i]!, 5);
    expect(state.t).toBe(5);
  });

  it('its first step moves every parameter by about the learning rate against the gradient sign', () => {
    const p = new Float32Array([0, 0, 0]);
    adamStep(p, new Float32Array([3, -0.001, 1e3]), createAdamState(3), 0.1, DEFAULT_ADAM);
    expect(Array.from(p).map((x) => Number(x.toFixed(4)))).toEqual([-0.1, 0.1, -0.1]);
  });
});

describe('clipping, EMA and averaging', () => {
  it('clips the global norm to the limit and leaves small gradients alone', () => {
    const g = new Float32Array([3, 4]);
    expect(clipByGlobalNorm(g, 1)).toBeCloseTo(5, 6);
    expect(globalNorm(g)).toBeCloseTo(1, 5);
    expect(g[0]! / g[1]!).toBeCloseTo(0.75, 6);
    const small = new Float32Array([0.3, 0.4]);
    clipByGlobalNorm(small, 1);
    expect(Array.from(small)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });

  it('EMA ramps its decay at first, then follows params with the given decay', () => {
    const ema = new Float32Array([0]);
    emaUpdate(ema, new Float32Array([1]), 0.99, 0);
    expect(ema[0]).toBeCloseTo(0.9, 6); // decay (1+0)/(10+0) = 0.1
    const late = new Float32Array([0]);
    emaUpdate(late, new Float32Array([1]), 0.99, 1e6);
    expect(late[0]).toBeCloseTo(0.01, 6);
  });

  it('averages shard gradients by shard weight', () => {
    const out = new Float32Array(2);
    averageInto(out, [new Float32Array([1, 2]), new Float32Array([4, 8])], [0.75, 0.25]);
    expect(Array.from(out)).toEqual([1.75, 3.5]);
  });
});
