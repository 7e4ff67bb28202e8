/**
 * Adam, global-norm gradient clipping and the exponential moving average of weights, on host
 * Float32Arrays. The trainer keeps all parameters in one flat array (the replicas compute the
 * gradients), so the optimizer is plain arithmetic: exact to serialise in a checkpoint, identical
 * on every backend, and a few milliseconds per step even for DuRN-S's 2 M parameters.
 */
import { DurnUserError, expected } from '../core/errors.ts';

export interface AdamConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Decoupled weight decay (AdamW); 0 gives plain Adam as the authors used. */
  readonly weightDecay: number;
}

export const DEFAULT_ADAM: AdamConfig = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };

/** Everything Adam carries between steps. */
export interface AdamState {
  /** Updates applied so far (bias correction uses it). */
  t: number;
  readonly m: Float32Array;
  readonly v: Float32Array;
}

export function createAdamState(size: number): AdamState {
  return { t: 0, m: new Float32Array(size), v: new Float32Array(size) };
}

/** One Adam update of `params` in place (PyTorch's formulation, which the authors trained with). */
export function adamStep(
  params: Float32Array,
  grads: Float32Array,
  state: AdamState,
  lr: number,
  c: AdamConfig,
): void {
  if (params.length !== grads.length || params.length !== state.m.length) {
    throw new DurnUserError(
      'CHECKPOINT_INVALID',
      expected(
        `${params.length} optimizer values`,
        'the Adam state',
        `${state.m.length} params and ${grads.length} gradients`,
      ),
    );
  }
  state.t += 1;
  const bc1 = 1 - c.beta1 ** state.t;
  const bc2 = 1 - c.beta2 ** state.t;
  const stepSize = lr / bc1;
  const sqrtBc2 = Math.sqrt(bc2);
  const { m, v } = state;
  const decay = 1 - lr * c.weightDecay;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i]!;
    const mi = c.beta1 * m[i]! + (1 - c.beta1) * g;
    const vi = c.beta2 * v[i]! + (1 - c.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = params[i]! * decay - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + c.epsilon);
  }
}

/** L2 norm of all gradients together, accumulated in float64. */
export function globalNorm(grads: Float32Array): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) s += grads[i]! * grads[i]!;
  return Math.sqrt(s);
}

/**
 * Scales gradients in place so their global norm is at most `maxNorm` (as torch's
 * clip_grad_norm_). Returns the norm before clipping, for the progress report.
 */
export function clipByGlobalNorm(grads: Float32Array, maxNorm: number): number {
  const norm = globalNorm(grads);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (let i = 0; i < grads.length; i++) grads[i]! *= scale;
  }
  return norm;
}

/**
 * ema ← decay·ema + (1−decay)·params. The effective decay ramps up as (1+t)/(10+t) over the first
 * updates (as TensorFlow's ExponentialMovingAverage with num_updates), so early averages are not
 * dominated by the initial weights.
 */
export function emaUpdate(ema: Float32Array, params: Float32Array, decay: number, updates: number): void {
  const d = Math.min(decay, (1 + updates) / (10 + updates));
  for (let i = 0; i < ema.length; i++) ema[i] = d * ema[i]! + (1 - d) * params[i]!;
}

/** Weighted sum of per-shard gradients into `out` (weights sum to 1), in shard order for determinism. */
export function averageInto(
  out: Float32Array,
  parts: readonly Float32Array[],
  weights: readonly number[],
): void {
  out.fill(0);
  parts.forEach((g, k) => {
    const w = weights[k]!;
    for (let i = 0; i < out.length; i++) out[i]! += w * g[i]!;
  });
}

/** Index of the first non-finite value, or -1: a diverged step must not be applied. */
export function firstNonFinite(a: Float32Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}
