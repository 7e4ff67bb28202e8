/**
 * Validation during training (fixed crops with fixed degradations, so every validation of a run
 * and of its resumes sees the same inputs) and whole-image evaluation for `durn eval`, both scored
 * with `measure` in the paper's colour space for the task.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ImageTensor, InferenceSession } from '../models/engines/types.ts';
import type { NetworkDefinition } from '../models/graph/types.ts';
import { type BatchSpec, synthesize } from './data/batches.ts';
import type { ImageSet, TrainingImages } from './data/images.ts';
import { extractCrop, packNhwc, unpackNhwc } from './data/patches.ts';
import { type MetricColorSpace, measure } from './metrics.ts';
import type { Replica } from './replica.ts';
import { createRng } from './rng.ts';

/** Validation inputs do not depend on the training seed: runs with different seeds compare. */
export const VALIDATION_SEED = 'durn-validation';

export interface ValidationSet {
  readonly count: number;
  readonly size: number;
  readonly channels: number;
  readonly input: Float32Array;
  readonly target: Float32Array;
}

export interface Scores {
  readonly loss: number;
  readonly psnr: number;
  readonly ssim: number;
}

function centre(set: ImageSet, index: number, size: number): ImageTensor {
  const info = set.images[index]!;
  return extractCrop(set, {
    image: index,
    top: (info.height - size) >> 1,
    left: (info.width - size) >> 1,
    size,
    rotate: 0,
    flip: false,
  });
}

/** Centre crops of the first `limit` images, degraded once with a fixed RNG per image. */
export function buildValidationSet(
  images: TrainingImages,
  spec: BatchSpec,
  o: { limit: number; size: number; sizeMultiple: number },
): ValidationSet {
  const set = images.clean;
  const count = Math.min(o.limit, set.images.length);
  const smallest = Math.min(...set.images.slice(0, count).map((i) => Math.min(i.width, i.height)));
  let size = Math.min(o.size, smallest);
  size -= size % o.sizeMultiple;
  const c = set.channels;
  const input = new Float32Array(count * size * size * c);
  const target = new Float32Array(count * size * size * c);
  // Validation measures the damage itself: no share of easy samples.
  const { easy: _easy, ...options } = spec.degradationOptions as Record<string, unknown>;
  const valSpec: BatchSpec = { ...spec, degradationOptions: options };
  for (let i = 0; i < count; i++) {
    const rng = createRng(VALIDATION_SEED).fork('validation', i);
    let pair: { input: ImageTensor; target: ImageTensor };
    if (images.degraded) {
      pair = { input: centre(images.degraded, i, size), target: centre(set, i, size) };
    } else {
      const info = set.images[i]!;
      const margin = Math.max(0, Math.min(spec.margin, (Math.min(info.width, info.height) - size) >> 1));
      const side = Math.min(info.width, info.height);
      pair = synthesize(centre(set, i, size + 2 * margin), { ...valSpec, margin }, rng, side);
    }
    packNhwc(pair.input, input, i);
    packNhwc(pair.target, target, i);
  }
  return { count, size, channels: c, input, target };
}

/**
 * A crop restored exactly (an identity start on a crop without damage, such as the colour mix's
 * clean share) scores this instead of Infinity: the mean stays comparable between validations
 * and survives the checkpoint's JSON, where Infinity becomes null.
 */
export const VALIDATION_PSNR_CAP = 100;

/** Predictions and mean loss of `n` NHWC crops (any engine). */
export type CropPredictor = (
  input: Float32Array,
  target: Float32Array,
  n: number,
) => Promise<{ pred: Float32Array; loss: number }>;

/** Mean loss, PSNR and SSIM of a predictor on the set, `chunk` crops at a time. */
export async function validateWith(
  predict: CropPredictor,
  set: ValidationSet,
  colorSpace: MetricColorSpace,
  chunk = 4,
): Promise<Scores> {
  const { size: s, channels: c } = set;
  const per = s * s * c;
  let loss = 0;
  let psnr = 0;
  let ssim = 0;
  for (let start = 0; start < set.count; start += chunk) {
    const n = Math.min(chunk, set.count - start);
    const x = set.input.subarray(start * per, (start + n) * per);
    const y = set.target.subarray(start * per, (start + n) * per);
    const r = await predict(x, y, n);
    loss += r.loss * n;
    for (let i = 0; i < n; i++) {
      const m = measure(
        colorSpace,
        unpackNhwc(r.pred, i, c, s, s),
        unpackNhwc(set.target, start + i, c, s, s),
      );
      psnr += Math.min(m.psnr, VALIDATION_PSNR_CAP);
      ssim += m.ssim;
    }
  }
  return { loss: loss / set.count, psnr: psnr / set.count, ssim: ssim / set.count };
}

/** Mean loss, PSNR and SSIM of the replica's current weights on the set (tfjs). */
export function validate(
  replica: Replica,
  set: ValidationSet,
  colorSpace: MetricColorSpace,
  chunk = 4,
): Promise<Scores> {
  const s = set.size;
  const c = set.channels;
  return validateWith(
    async (input, target, n) => {
      const x = tf.tensor4d(input, [n, s, s, c]);
      const y = tf.tensor4d(target, [n, s, s, c]);
      const pred = replica.predict(x);
      try {
        return { loss: replica.loss(pred, y), pred: pred.dataSync() as Float32Array };
      } finally {
        tf.dispose([x, y, pred]);
      }
    },
    set,
    colorSpace,
    chunk,
  );
}

/** Runs the network on one whole image, reflect-padding to its size multiple and cropping back. */
export function restoreWhole(replica: Replica, image: ImageTensor, sizeMultiple: number): ImageTensor {
  const { channels: c, height: h, width: w } = image;
  const ph = (sizeMultiple - (h % sizeMultiple)) % sizeMultiple;
  const pw = (sizeMultiple - (w % sizeMultiple)) % sizeMultiple;
  const buf = new Float32Array(h * w * c);
  packNhwc(image, buf, 0);
  const out = tf.tidy(() => {
    let x: tf.Tensor4D = tf.tensor4d(buf, [1, h, w, c]);
    if (ph + pw > 0) {
      x = tf.mirrorPad(
        x,
        [
          [0, 0],
          [0, ph],
          [0, pw],
          [0, 0],
        ],
        'reflect',
      );
    }
    const y = replica.predict(x);
    return ph + pw > 0 ? tf.slice(y, [0, 0, 0, 0], [1, h, w, c]) : y;
  });
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return unpackNhwc(data, 0, c, h, w);
}

/** Index into [0, n) reflecting about the edges without repeating them (numpy/tf "reflect"), any distance. */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const k = ((i % period) + period) % period;
  return k < n ? k : period - k;
}

/** Reflect-pads the bottom and right of a planar image to `height` × `width`. */
export function padReflect(image: ImageTensor, height: number, width: number): ImageTensor {
  const { channels: c, height: h, width: w } = image;
  if (height === h && width === w) return image;
  const out = new Float32Array(c * height * width);
  for (let ch = 0; ch < c; ch++) {
    const src = image.data.subarray(ch * h * w, (ch + 1) * h * w);
    const dst = out.subarray(ch * height * width, (ch + 1) * height * width);
    for (let y = 0; y < height; y++) {
      const row = reflectIndex(y, h) * w;
      for (let x = 0; x < width; x++) dst[y * width + x] = src[row + (x < w ? x : reflectIndex(x, w))]!;
    }
  }
  return { channels: c, height, width, data: out };
}

/** The top-left `height` × `width` of a planar image. */
export function cropTopLeft(image: ImageTensor, height: number, width: number): ImageTensor {
  const { channels: c, height: h, width: w } = image;
  if (height === h && width === w) return image;
  const out = new Float32Array(c * height * width);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < height; y++) {
      const from = ch * h * w + y * w;
      out.set(image.data.subarray(from, from + width), ch * height * width + y * width);
    }
  }
  return { channels: c, height, width, data: out };
}

/**
 * Runs an inference session on one whole image, as restoreWhole does with a replica: reflect pad
 * (bottom and right) to the network's size multiple, and to its minimum side, then crop back.
 */
export async function restoreWithSession(
  session: InferenceSession,
  image: ImageTensor,
  network: NetworkDefinition,
): Promise<ImageTensor> {
  const m = network.sizeMultiple;
  const legal = (side: number) => Math.ceil(Math.max(side, network.minSide) / m) * m;
  const padded = padReflect(image, legal(image.height), legal(image.width));
  const out = await session.run(padded);
  return cropTopLeft(out, image.height, image.width);
}
