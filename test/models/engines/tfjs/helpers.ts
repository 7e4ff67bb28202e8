/** Shared helpers of the tfjs engine tests: backend setup and numerical gradients. */
import * as tf from '@tensorflow/tfjs-core';
import { initTfjs } from '../../../../src/models/engines/tfjs/backend.ts';

export async function useBackend(backend: 'wasm' | 'cpu'): Promise<void> {
  const init = await initTfjs({ backend });
  if (init.backend !== backend) throw new Error(`wanted ${backend}, got ${init.backend}`);
}

/** Deterministic pseudo-random values in [-1, 1) (mulberry32). */
export function randomValues(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export function randomTensor<R extends tf.Rank>(shape: number[], seed: number): tf.Tensor<R> {
  const values = randomValues(
    shape.reduce((a, b) => a * b, 1),
    seed,
  );
  return tf.tensor(values, shape) as unknown as tf.Tensor<R>;
}

/**
 * Numerical gradient of L = Σ f(inputs) · g with respect to input `which`, by central differences
 * with step h, element by element. For ops linear in that input, any h gives the exact adjoint.
 */
export function numericalGrad(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  g: tf.Tensor,
  which: number,
  h = 1,
): Float64Array {
  const base = Float32Array.from(inputs[which]!.dataSync());
  const shape = inputs[which]!.shape;
  const out = new Float64Array(base.length);
  const gv = g.dataSync();
  const evalAt = (vals: Float32Array): number =>
    tf.tidy(() => {
      const xs = inputs.map((t, i) => (i === which ? tf.tensor(vals, shape) : t));
      const y = f(...xs).dataSync();
      let s = 0;
      for (let k = 0; k < y.length; k++) s += y[k]! * gv[k]!;
      return s;
    });
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    plus[i] = base[i]! + h;
    const minus = base.slice();
    minus[i] = base[i]! - h;
    out[i] = (evalAt(plus) - evalAt(minus)) / (2 * h);
  }
  return out;
}

/** ‖a − b‖ / ‖b‖. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
