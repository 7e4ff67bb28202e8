import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  conv2d,
  convTranspose2d,
  linear,
  pixelShuffle,
  reflectPad,
} from '../../../../src/models/engines/tfjs/ops.ts';
import type { Pads } from '../../../../src/models/graph/types.ts';
import { maxAbsDiff, numericalGrad, randomTensor, relativeError, useBackend } from './helpers.ts';

/** Analytic gradients of Σ f(inputs)·g, one per input. */
function analyticGrads(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  g: tf.Tensor,
): Float32Array[] {
  return tf.tidy(() =>
    tf
      .grads((...xs: tf.Tensor[]) => f(...xs))(inputs, g)
      .map((t) => t.dataSync() as Float32Array),
  );
}

/** Checks every input's gradient against central differences (exact for these multilinear ops). */
function expectGradsMatch(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], seed: number): void {
  const y = f(...inputs);
  const g = randomTensor(y.shape, seed);
  const analytic = analyticGrads(f, inputs, g);
  inputs.forEach((_, i) => {
    const numeric = numericalGrad(f, inputs, g, i);
    expect(relativeError(analytic[i]!, numeric), `input ${i}`).toBeLessThan(1e-5);
  });
}

/** Naive float64 PyTorch conv2d on NHWC/HWIO with zero pads, stride and dilation. */
function naiveConv(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  s: number,
  d: number,
  p: Pads,
): { data: Float64Array; shape: number[] } {
  const [n, h, wd, ci] = x.shape;
  const [k, , , co] = w.shape;
  const xv = x.dataSync();
  const wv = w.dataSync();
  const span = d * (k - 1) + 1;
  const ho = Math.floor((h + p.top + p.bottom - span) / s) + 1;
  const wo = Math.floor((wd + p.left + p.right - span) / s) + 1;
  const out = new Float64Array(n * ho * wo * co);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let o = 0; o < co; o++) {
          let acc = 0;
          for (let u = 0; u < k; u++)
            for (let v = 0; v < k; v++) {
              const r = i * s + u * d - p.top;
              const c = j * s + v * d - p.left;
              if (r < 0 || r >= h || c < 0 || c >= wd) continue;
              for (let q = 0; q < ci; q++)
                acc += xv[((b * h + r) * wd + c) * ci + q]! * wv[((u * k + v) * ci + q) * co + o]!;
            }
          out[((b * ho + i) * wo + j) * co + o] = acc;
        }
  return { data: out, shape: [n, ho, wo, co] };
}

const pads = (top: number, bottom: number, left: number, right: number): Pads => ({
  top,
  bottom,
  left,
  right,
});

describe('tfjs ops on wasm', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  const cases: { name: string; shape: number[]; k: number; s: number; d: number; p: Pads }[] = [
    { name: 'plain 3×3', shape: [2, 6, 5, 3], k: 3, s: 1, d: 1, p: pads(0, 0, 0, 0) },
    { name: 'dilated 3×3 d=2, zero pad 2', shape: [2, 7, 6, 2], k: 3, s: 1, d: 2, p: pads(2, 2, 2, 2) },
    { name: 'dilated 3×3 d=3, no pad', shape: [1, 9, 8, 2], k: 3, s: 1, d: 3, p: pads(0, 0, 0, 0) },
    {
      name: 'strided 3×3 s=2, pad 1 (odd coverage)',
      shape: [2, 8, 8, 2],
      k: 3,
      s: 2,
      d: 1,
      p: pads(1, 1, 1, 1),
    },
    { name: 'strided 3×3 s=2, uneven', shape: [1, 7, 6, 3], k: 3, s: 2, d: 1, p: pads(0, 0, 1, 0) },
    { name: '5×5 pad 1 (shrinks)', shape: [1, 7, 7, 2], k: 5, s: 1, d: 1, p: pads(1, 1, 1, 1) },
  ];
  for (const c of cases) {
    it(`conv2d ${c.name}: forward matches a float64 reference, gradients match numerical ones`, () => {
      const x = randomTensor<tf.Rank.R4>(c.shape, 1);
      const w = randomTensor<tf.Rank.R4>([c.k, c.k, c.shape[3]!, 3], 2);
      const b = randomTensor<tf.Rank.R1>([3], 3);
      const f = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
        conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D, {
          stride: c.s,
          dilation: c.d,
          pads: c.p,
        });
      const y = f(x, w, b);
      const ref = naiveConv(x, w, c.s, c.d, c.p);
      expect(y.shape).toEqual(ref.shape);
      const bias = b.dataSync();
      const refWithBias = ref.data.map((v, i) => v + bias[i % 3]!);
      expect(maxAbsDiff(y.dataSync(), refWithBias)).toBeLessThan(1e-5);
      expectGradsMatch(f, [x, w, b], 4);
      tf.dispose([x, w, b, y]);
    });
  }

  it('conv2d without bias has gradients for x and w only', () => {
    const x = randomTensor<tf.Rank.R4>([1, 5, 5, 2], 5);
    const w = randomTensor<tf.Rank.R4>([3, 3, 2, 2], 6);
    const f = (xi: tf.Tensor, wi: tf.Tensor) =>
      conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, null, { pads: pads(1, 1, 1, 1) });
    expectGradsMatch(f, [x, w], 7);
  });

  it('conv2d rejects stride and dilation both above 1', () => {
    const x = tf.zeros([1, 9, 9, 1]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 1, 1]) as tf.Tensor4D;
    expect(() => conv2d(x, w, null, { stride: 2, dilation: 2 })).toThrow(/stride 2 and dilation 2/);
  });

  it('convTranspose2d k4 s2 p1 matches the PyTorch definition and has correct gradients', () => {
    const [n, h, wd, ci, co, k, s, p] = [2, 3, 4, 3, 2, 4, 2, 1];
    const x = randomTensor<tf.Rank.R4>([n, h, wd, ci], 8);
    const w = randomTensor<tf.Rank.R4>([ci, co, k, k], 9); // PyTorch [in, out, k, k]
    const b = randomTensor<tf.Rank.R1>([co], 10);
    const f = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) =>
      convTranspose2d(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D, s, p);
    const y = f(x, w, b);
    // PyTorch: out[o, i·s + u − p, j·s + v − p] += x[c, i, j] · W[c, o, u, v], + bias.
    const ho = (h - 1) * s - 2 * p + k;
    const wo = (wd - 1) * s - 2 * p + k;
    expect(y.shape).toEqual([n, ho, wo, co]);
    const ref = new Float64Array(n * ho * wo * co);
    const xv = x.dataSync();
    const wv = w.dataSync();
    const bv = b.dataSync();
    for (let q = 0; q < ref.length; q++) ref[q] = bv[q % co]!;
    for (let bb = 0; bb < n; bb++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++)
          for (let c = 0; c < ci; c++)
            for (let o = 0; o < co; o++)
              for (let u = 0; u < k; u++)
                for (let v = 0; v < k; v++) {
                  const r = i * s + u - p;
                  const cc = j * s + v - p;
                  if (r < 0 || r >= ho || cc < 0 || cc >= wo) continue;
                  ref[((bb * ho + r) * wo + cc) * co + o]! +=
                    xv[((bb * h + i) * wd + j) * ci + c]! * wv[((c * co + o) * k + u) * k + v]!;
                }
    expect(maxAbsDiff(y.dataSync(), ref)).toBeLessThan(1e-5);
    expectGradsMatch(f, [x, w, b], 11);
  });

  it('reflectPad matches ReflectionPad2d and its gradient includes the reflected borders', () => {
    const x = randomTensor<tf.Rank.R4>([2, 5, 4, 2], 12);
    const p = pads(2, 1, 3, 0);
    const f = (xi: tf.Tensor) => reflectPad(xi as tf.Tensor4D, p);
    const y = f(x);
    const [n, h, wd, c] = x.shape;
    const ho = h + 3;
    const wo = wd + 3;
    const xv = x.dataSync();
    const reflect = (i: number, len: number) => (i < 0 ? -i : i >= len ? 2 * (len - 1) - i : i);
    const ref = new Float32Array(n * ho * wo * c);
    for (let b = 0; b < n; b++)
      for (let i = 0; i < ho; i++)
        for (let j = 0; j < wo; j++)
          for (let q = 0; q < c; q++)
            ref[((b * ho + i) * wo + j) * c + q] =
              xv[((b * h + reflect(i - 2, h)) * wd + reflect(j - 3, wd)) * c + q]!;
    expect(maxAbsDiff(y.dataSync(), ref)).toBe(0);
    expectGradsMatch(f, [x], 13);
    // Every padded pixel is a copy of one input pixel, so the gradient of Σ y sums to y's size
    // (tfjs's own MirrorPad gradient, which only slices dy, gives x's size).
    const ones = tf.ones(y.shape);
    const ours = Array.from(
      tf
        .grad((xi: tf.Tensor) => f(xi))(x, ones)
        .dataSync(),
    );
    expect(ours.reduce((a, v) => a + v, 0)).toBeCloseTo(y.size, 3);
  });

  it('pixelShuffle uses PyTorch channel order and has a gradient', () => {
    const r = 2;
    const x = randomTensor<tf.Rank.R4>([2, 3, 2, 8], 14); // 2 output channels
    const y = pixelShuffle(x, r);
    expect(y.shape).toEqual([2, 6, 4, 2]);
    const xv = x.dataSync();
    const yv = y.dataSync();
    let worst = 0;
    for (let b = 0; b < 2; b++)
      for (let h = 0; h < 3; h++)
        for (let w = 0; w < 2; w++)
          for (let c = 0; c < 2; c++)
            for (let i = 0; i < r; i++)
              for (let j = 0; j < r; j++) {
                const want = xv[((b * 3 + h) * 2 + w) * 8 + r * r * c + r * i + j]!;
                const got = yv[((b * 6 + r * h + i) * 4 + r * w + j) * 2 + c]!;
                worst = Math.max(worst, Math.abs(want - got));
              }
    expect(worst).toBe(0);
    expectGradsMatch((xi) => pixelShuffle(xi as tf.Tensor4D, r), [x], 15);
  });

  it('linear, broadcast mul, avgPool, moments, relu/tanh/sigmoid differentiate on wasm', () => {
    const x = randomTensor<tf.Rank.R4>([2, 1, 1, 4], 16);
    const w = randomTensor<tf.Rank.R2>([4, 3], 17);
    const b = randomTensor<tf.Rank.R1>([3], 18);
    expectGradsMatch(
      (xi, wi, bi) => linear(xi as tf.Tensor4D, wi as tf.Tensor2D, bi as tf.Tensor1D),
      [x, w, b],
      19,
    );
    const a = randomTensor<tf.Rank.R4>([2, 4, 3, 3], 20);
    const s = randomTensor<tf.Rank.R4>([2, 1, 1, 3], 21);
    expectGradsMatch((ai, si) => tf.mul(ai, si), [a, s], 22);
    expectGradsMatch((ai) => tf.avgPool(ai as tf.Tensor4D, 2, 1, 'valid'), [a], 23);
    // Smooth nonlinear ops (as batch norm uses them): small steps, O(h²) agreement.
    const nonlinear = (ai: tf.Tensor) => {
      const m = tf.moments(ai, [0, 1, 2]);
      const norm = tf.mul(tf.sub(ai, m.mean), tf.rsqrt(tf.add(m.variance, 1e-5)));
      return tf.add(tf.tanh(norm), tf.sigmoid(norm));
    };
    const y = nonlinear(a);
    const g = randomTensor(y.shape, 24);
    const analytic = tf.grad(nonlinear)(a, g).dataSync();
    const numeric = numericalGrad(nonlinear, [a], g, 0, 1e-2);
    expect(relativeError(analytic, numeric)).toBeLessThan(1e-3);
    // ReLU is piecewise linear: steps smaller than the distance of every input from 0 are exact.
    const away = tf.add(a, tf.mul(tf.sign(a), 0.05));
    const rg = randomTensor(away.shape, 25);
    const reluAnalytic = tf
      .grad((ai: tf.Tensor) => tf.relu(ai))(away, rg)
      .dataSync();
    expect(
      relativeError(
        reluAnalytic,
        numericalGrad((ai) => tf.relu(ai), [away], rg, 0, 1e-2),
      ),
    ).toBeLessThan(1e-5);
  });
});
