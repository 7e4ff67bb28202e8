/**
 * Executes any network Graph on NHWC tensors by interpreting its node kinds; no network-specific
 * code. `eval` uses BatchNorm running statistics; `train` uses batch statistics and reports the
 * running-statistics updates PyTorch would make, for the caller to apply after the backward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DurnBugError } from '../../../core/errors.ts';
import { inputsOf } from '../../graph/analysis.ts';
import type { BatchNormNode, Graph, GraphNode, InstanceNormNode } from '../../graph/types.ts';
import { conv2d, convTranspose2d, globalAvgPool, linear, pixelShuffle, reflectPad, zeroPad } from './ops.ts';

type T4 = tf.Tensor4D;
export type RunMode = 'eval' | 'train';

/**
 * A parameter by its state_dict key, in engine layout: conv weights HWIO, transposed-conv weights
 * as PyTorch stores them ([in, out, k, k]), linear weights transposed to [in, out], vectors as is.
 */
export type ParamLookup = (name: string) => tf.Tensor;

/** Batch statistics of one BatchNorm layer in train mode (kept tensors; the caller disposes them). */
export interface BatchNormStats {
  readonly prefix: string;
  readonly momentum: number;
  readonly mean: tf.Tensor1D;
  /** Unbiased (n − 1) variance, as PyTorch feeds its running average. */
  readonly unbiasedVariance: tf.Tensor1D;
}

export interface RunOptions {
  readonly mode: RunMode;
  /** Receives each BatchNorm layer's batch statistics in train mode. */
  readonly onBatchNorm?: (stats: BatchNormStats) => void;
  /**
   * Free each intermediate as soon as its last reader ran (inference: bounds peak memory to the
   * live values). Must be false while gradients are recorded.
   */
  readonly releaseEarly?: boolean;
}

function batchNorm(x: T4, n: BatchNormNode, p: ParamLookup, o: RunOptions): T4 {
  const weight = p(`${n.prefix}.weight`) as tf.Tensor1D;
  const bias = p(`${n.prefix}.bias`) as tf.Tensor1D;
  if (o.mode === 'eval') {
    const mean = p(`${n.prefix}.running_mean`) as tf.Tensor1D;
    const variance = p(`${n.prefix}.running_var`) as tf.Tensor1D;
    return tf.batchNorm(x, mean, variance, bias, weight, n.eps);
  }
  const count = x.shape[0] * x.shape[1] * x.shape[2];
  if (count < 2) {
    throw new DurnBugError(`BatchNorm ${n.prefix} in train mode over ${count} value per channel`);
  }
  return batchNormTrain(x, weight, bias, n, count, o);
}

/**
 * Train-mode BatchNorm as one differentiable op. Left to autodiff, the moments, broadcasts and
 * their reductions unroll into ~40 small kernels a layer (each NHWC reduction a transpose and a
 * sum on wasm); the closed form needs two reductions and four elementwise ops:
 * dβ = Σdy, dγ = Σdy·x̂, dx = γ/σ · (dy − dβ/m − x̂·dγ/m), m values per channel.
 * The forward ops are those of the unfused layer, so outputs are unchanged.
 */
function batchNormTrain(
  x: T4,
  weight: tf.Tensor1D,
  bias: tf.Tensor1D,
  n: BatchNormNode,
  count: number,
  o: RunOptions,
): T4 {
  const fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, gamma, beta] = args as [T4, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const { mean, variance } = tf.moments(input, [0, 1, 2]);
    if (o.onBatchNorm) {
      o.onBatchNorm({
        prefix: n.prefix,
        momentum: n.momentum,
        mean: tf.keep(mean as tf.Tensor1D),
        unbiasedVariance: tf.keep(tf.mul(variance, count / (count - 1)) as tf.Tensor1D),
      });
    }
    // Normalise with the biased variance, as PyTorch does in training.
    const invStd = tf.rsqrt(tf.add(variance, n.eps));
    const normed = tf.mul(tf.sub(input, mean), invStd) as T4;
    save([normed, invStd, gamma]);
    return {
      value: tf.add(tf.mul(normed, gamma), beta) as T4,
      gradFunc: (dy: T4, saved: tf.Tensor[]) => {
        const [xhat, rstd, g] = saved as [T4, tf.Tensor1D, tf.Tensor1D];
        const dBeta = tf.sum(dy, [0, 1, 2]);
        const dGamma = tf.sum(tf.mul(dy, xhat), [0, 1, 2]);
        const scale = tf.mul(g, rstd); // γ/σ
        const shift = tf.mul(scale, tf.div(dBeta, count)); // γ/σ · mean(dy)
        const slope = tf.mul(scale, tf.div(dGamma, count)); // γ/σ · mean(dy·x̂)
        const dx = tf.sub(tf.sub(tf.mul(dy, scale), tf.mul(xhat, slope)), shift);
        return [dx, dGamma, dBeta];
      },
    };
  });
  return fn(x, weight, bias) as T4;
}

function instanceNorm(x: T4, n: InstanceNormNode, p: ParamLookup): T4 {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, n.eps)));
  return tf.add(tf.mul(normed, p(`${n.prefix}.scale`)), p(`${n.prefix}.shift`));
}

function runNode(n: GraphNode, get: (id: string) => T4, p: ParamLookup, o: RunOptions): T4 {
  switch (n.op) {
    case 'conv2d': {
      const bias = n.bias === null ? null : (p(n.bias) as tf.Tensor1D);
      const w = p(n.weight) as T4;
      const opts = { stride: n.stride, dilation: n.dilation };
      if (n.padMode === 'reflect') return conv2d(reflectPad(get(n.x), n.pad), w, bias, opts);
      return conv2d(get(n.x), w, bias, { ...opts, pads: n.pad });
    }
    case 'convTranspose2d': {
      const bias = n.bias === null ? null : (p(n.bias) as tf.Tensor1D);
      return convTranspose2d(get(n.x), p(n.weight) as T4, bias, n.stride, n.padding);
    }
    case 'batchNorm':
      return batchNorm(get(n.x), n, p, o);
    case 'instanceNorm':
      return instanceNorm(get(n.x), n, p);
    case 'relu':
      return tf.relu(get(n.x));
    case 'tanh':
      return tf.tanh(get(n.x));
    case 'sigmoid':
      return tf.sigmoid(get(n.x));
    case 'add':
      return tf.add(get(n.a), get(n.b));
    case 'sub':
      return tf.sub(get(n.a), get(n.b));
    case 'mul':
      return tf.mul(get(n.a), get(n.b));
    case 'pixelShuffle':
      return pixelShuffle(get(n.x), n.factor);
    case 'globalAvgPool':
      return globalAvgPool(get(n.x));
    case 'linear': {
      const bias = n.bias === null ? null : (p(n.bias) as tf.Tensor1D);
      return linear(get(n.x), p(n.weight) as tf.Tensor2D, bias);
    }
    case 'pad':
      return n.mode === 'reflect' ? reflectPad(get(n.x), n.pads) : zeroPad(get(n.x), n.pads);
    case 'avgPool':
      return tf.avgPool(get(n.x), n.kernel, n.stride, 'valid');
    default: {
      const never: never = n;
      throw new DurnBugError(`unknown graph node ${JSON.stringify(never)}`);
    }
  }
}

/** Index of the last node reading each value (the output is read "after" every node). */
function lastUses(g: Graph): Map<string, number> {
  const last = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const id of inputsOf(n)) last.set(id, i);
  });
  last.set(g.output, g.nodes.length);
  return last;
}

/**
 * Runs `g` on x ([N, H, W, inChannels]) and returns its output, NHWC. Every node runs in its own
 * tidy, so an op's temporaries (transposed filters, padded copies) do not pile up.
 */
export function runGraph(g: Graph, x: T4, params: ParamLookup, o: RunOptions): T4 {
  if (x.shape[3] !== g.inChannels) {
    throw new DurnBugError(`graph with ${g.inChannels} input channels run on ${x.shape[3]}`);
  }
  const values = new Map<string, T4>([[g.input, x]]);
  const last = o.releaseEarly ? lastUses(g) : undefined;
  const get = (id: string): T4 => {
    const v = values.get(id);
    if (!v) throw new DurnBugError(`graph value ${id} read before it is computed or after release`);
    return v;
  };
  g.nodes.forEach((n, i) => {
    values.set(
      n.id,
      tf.tidy(() => runNode(n, get, params, o)),
    );
    if (last) {
      for (const id of inputsOf(n)) {
        if (id !== g.input && last.get(id) === i) {
          values.get(id)!.dispose();
          values.delete(id);
        }
      }
    }
  });
  const out = get(g.output);
  if (!last) return out;
  // Release whatever was computed but never read (nothing, in a well-formed graph).
  for (const [id, v] of values) if (id !== g.input && id !== g.output) v.dispose();
  return out;
}
