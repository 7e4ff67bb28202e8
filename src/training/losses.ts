/**
 * Training losses in tfjs, differentiable on every backend: L2 (the authors' loss for Gaussian
 * noise) and 1.1·(1 − SSIM) + 0.75·L1 (all other tasks). SSIM uses an 11×11 Gaussian window,
 * σ 1.5, applied as two separable depthwise convolutions. tfjs-wasm has no depthwise backprop
 * kernel, so the blur carries its own gradient: the adjoint of a valid correlation with a symmetric
 * kernel is a full correlation with the same kernel, i.e. the same depthwise convolution of the
 * zero-padded upstream gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossKind } from './config.ts';

export const SSIM_WINDOW = 11;
export const SSIM_SIGMA = 1.5;
/** SSIM constants for data in [0, 1]: (0.01·L)², (0.03·L)² with L = 1. */
export const SSIM_C1 = 0.01 ** 2;
export const SSIM_C2 = 0.03 ** 2;

/** Normalised 1-D Gaussian taps. */
export function gaussianTaps(size = SSIM_WINDOW, sigma = SSIM_SIGMA): Float32Array {
  const taps = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    taps[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += taps[i]!;
  }
  return Float32Array.from(taps, (t) => t / sum);
}

const blurCache = new Map<string, (x: tf.Tensor4D) => tf.Tensor4D>();

/** Separable Gaussian blur of each channel, 'valid' (output smaller by size − 1), with exact gradient. */
export function gaussianBlurValid(x: tf.Tensor4D, size = SSIM_WINDOW, sigma = SSIM_SIGMA): tf.Tensor4D {
  const c = x.shape[3];
  const key = `${c}/${size}/${sigma}`;
  let fn = blurCache.get(key);
  if (!fn) {
    const taps = gaussianTaps(size, sigma);
    const rep = new Float32Array(size * c);
    for (let i = 0; i < size; i++) rep.fill(taps[i]!, i * c, (i + 1) * c);
    // Kept for the process's life, like the kernels: one pair per channel count.
    const kv = tf.keep(tf.tensor4d(rep, [size, 1, c, 1]));
    const kh = tf.keep(tf.tensor4d(rep, [1, size, c, 1]));
    const blur = (t: tf.Tensor4D) =>
      tf.depthwiseConv2d(tf.depthwiseConv2d(t, kv, 1, 'valid'), kh, 1, 'valid');
    const p = size - 1;
    fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      (args[1] as tf.GradSaveFunc)([]);
      return {
        value: blur(args[0] as tf.Tensor4D),
        gradFunc: (dy: tf.Tensor) =>
          blur(
            tf.pad(dy as tf.Tensor4D, [
              [0, 0],
              [p, p],
              [p, p],
              [0, 0],
            ]),
          ),
      };
    }) as (x: tf.Tensor4D) => tf.Tensor4D;
    blurCache.set(key, fn);
  }
  return fn(x);
}

/**
 * Mean SSIM over pixels, channels and batch of NHWC images in [0, 1]. 'valid' averages the map
 * where the window fits (as the metric and MATLAB's ssim_index); 'zero' zero-pads by 5 first
 * (pytorch-ssim, the package the authors trained with).
 */
export function ssimTf(a: tf.Tensor4D, b: tf.Tensor4D, padding: 'valid' | 'zero' = 'valid'): tf.Scalar {
  return tf.tidy(() => {
    const h = (SSIM_WINDOW - 1) / 2;
    const pad = (t: tf.Tensor4D) =>
      padding === 'zero'
        ? tf.pad(t, [
            [0, 0],
            [h, h],
            [h, h],
            [0, 0],
          ])
        : t;
    const blur = (t: tf.Tensor4D) => gaussianBlurValid(pad(t));
    const muA = blur(a);
    const muB = blur(b);
    const muA2 = tf.square(muA);
    const muB2 = tf.square(muB);
    const muAB = tf.mul(muA, muB);
    const sA = tf.sub(blur(tf.square(a)), muA2);
    const sB = tf.sub(blur(tf.square(b)), muB2);
    const sAB = tf.sub(blur(tf.mul(a, b)), muAB);
    const num = tf.mul(tf.add(tf.mul(2, muAB), SSIM_C1), tf.add(tf.mul(2, sAB), SSIM_C2));
    const den = tf.mul(tf.add(tf.add(muA2, muB2), SSIM_C1), tf.add(tf.add(sA, sB), SSIM_C2));
    return tf.mean(tf.div(num, den)) as tf.Scalar;
  });
}

export function l2Loss(pred: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(pred, target)) as tf.Scalar);
}

/**
 * Mean |pred − target| written as d·sign(d): tfjs differentiates abs as −1 at 0 (PyTorch: 0), so
 * every pixel a network returns exactly (all of them at the identity start, where undamaged pixels
 * are already right) would pull the output one way. sign's gradient is 0, so this one is sign(d).
 */
export function l1Loss(pred: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const d = tf.sub(pred, target);
    return tf.mean(tf.mul(d, tf.sign(d))) as tf.Scalar;
  });
}

/**
 * The authors' loss for every task but Gaussian noise: 1.1·(1 − SSIM) + 0.75·L1. SSIM over the
 * valid window positions, i.e. exactly 1 − the reported metric (their pytorch-ssim zero-pads).
 */
export function ssimL1Loss(pred: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() =>
    tf.add(tf.mul(1.1, tf.sub(1, ssimTf(pred, target))), tf.mul(0.75, l1Loss(pred, target))),
  );
}

export type LossFn = (pred: tf.Tensor4D, target: tf.Tensor4D) => tf.Scalar;

export function lossFunction(kind: LossKind): LossFn {
  // 'l1': the authors' last phase for raindrops (1.1·L1; the factor only scales the rate).
  return kind === 'l2' ? l2Loss : kind === 'l1' ? l1Loss : ssimL1Loss;
}
