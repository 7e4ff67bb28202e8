/**
 * The layer ops of the DuRN graphs on NHWC activations and HWIO filters, with gradients that are
 * exact on every tfjs backend. tfjs 4.22 has gaps this closes:
 * - wasm has no Conv2DBackpropFilter kernel, and no backend differentiates dilated convolutions:
 *   `conv2d` here computes both gradients with forward convolutions (XNNPACK speed on wasm);
 * - MirrorPad's gradient drops the reflected border's contribution: `reflectPad` adds it back;
 * - DepthToSpace has no gradient and is DCR order, PyTorch's PixelShuffle is CRD: `pixelShuffle`
 *   is a reshape and a transpose;
 * - wasm's Conv2DBackpropInput is a plain C++ loop: transposed and strided convolutions go through
 *   zero insertion and a forward convolution instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DurnBugError, invariant } from '../../../core/errors.ts';
import type { Pads } from '../../graph/types.ts';

type T4 = tf.Tensor4D;

const NO_PADS: Pads = { top: 0, bottom: 0, left: 0, right: 0 };

/**
 * x with s−1 zeros after every row and column: [N, H·s, W·s, C], x[i, j] at (i·s, j·s).
 * Built from reshape and pad, whose gradients (reshape, slice) exist everywhere.
 */
export function zeroInsert(x: T4, s: number): T4 {
  if (s === 1) return x;
  const [n, h, w, c] = x.shape;
  const x6 = tf.reshape(x, [n * h, 1, w, 1, c]);
  const spread = tf.pad(x6, [
    [0, 0],
    [0, s - 1],
    [0, 0],
    [0, s - 1],
    [0, 0],
  ]);
  return tf.reshape(spread, [n, h * s, w * s, c]);
}

/**
 * Valid convolution of x with explicit zero pads where some pads may be negative (a negative pad
 * crops the input instead). Always stride 1 (used for input gradients).
 */
function convSigned(x: T4, w: T4, pads: Pads, dilation: number): T4 {
  const [, h, wd] = x.shape;
  const cropTop = Math.max(0, -pads.top);
  const cropBottom = Math.max(0, -pads.bottom);
  const cropLeft = Math.max(0, -pads.left);
  const cropRight = Math.max(0, -pads.right);
  const cropped =
    cropTop + cropBottom + cropLeft + cropRight > 0
      ? tf.slice(x, [0, cropTop, cropLeft, 0], [-1, h - cropTop - cropBottom, wd - cropLeft - cropRight, -1])
      : x;
  const explicit: [[0, 0], [number, number], [number, number], [0, 0]] = [
    [0, 0],
    [Math.max(0, pads.top), Math.max(0, pads.bottom)],
    [Math.max(0, pads.left), Math.max(0, pads.right)],
    [0, 0],
  ];
  return tf.conv2d(cropped, w, 1, explicit, 'NHWC', dilation);
}

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/**
 * dL/dW (HWIO, k×k) of y = conv2d(x, W, stride, 'valid', dilation) given dy = dL/dy.
 * Where the backend has no Conv2DBackpropFilter (wasm), or the conv is dilated (no tfjs kernel
 * takes dilations), it is one forward convolution with the roles swapped: input channels as the
 * batch, the batch as channels, dy as the filter, stride := dilation and dilation := stride:
 * out[ci, kh, kw, co] = Σ_{n,i,j} x[n, kh·d + i·s, kw·d + j·s, ci] · dy[n, i, j, co].
 */
export function convFilterGrad(x: T4, dy: T4, k: number, stride: number, dilation: number): T4 {
  invariant(stride === 1 || dilation === 1, `conv with stride ${stride} and dilation ${dilation}`);
  const inC = x.shape[3];
  const outC = dy.shape[3];
  if (dilation === 1 && hasKernel('Conv2DBackpropFilter')) {
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy } as tf.NamedTensorMap, {
      strides: stride,
      pad: 'valid',
      dataFormat: 'NHWC',
      filterShape: [k, k, inC, outC],
    }) as T4;
  }
  const xt = tf.transpose(x, [3, 1, 2, 0]); // [Ci, H, W, N]
  const f = tf.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Co]
  let g = tf.conv2d(xt, f, dilation, 'valid', 'NHWC', stride); // [Ci, ≥k, ≥k, Co]
  // Rows/columns the strided conv never reached make the result larger than k: they are not taps.
  if (g.shape[1] !== k || g.shape[2] !== k) g = tf.slice(g, [0, 0, 0, 0], [-1, k, k, -1]);
  return tf.transpose(g, [1, 2, 0, 3]);
}

/**
 * dL/dx of y = conv2d(x, W, stride, zero pads, dilation): a full correlation of (zero-inserted) dy
 * with the 180°-rotated, in/out-swapped filter at the same dilation, cropped to x's extent.
 */
export function convInputGrad(dy: T4, w: T4, xShape: readonly number[], o: ConvOptions): T4 {
  const k = w.shape[0];
  const { stride: s, dilation: d, pads } = o;
  const span = d * (k - 1) + 1;
  const hp = xShape[1]! + pads.top + pads.bottom;
  const wp = xShape[2]! + pads.left + pads.right;
  const [, ho, wo] = dy.shape;
  // Padded-input rows past the last window: they get no gradient, but keep x's shape.
  const extraH = hp - ((ho - 1) * s + span);
  const extraW = wp - ((wo - 1) * s + span);
  const wr = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]);
  // zeroInsert leaves s−1 trailing zero rows/columns, already part of the bottom/right padding.
  const up = zeroInsert(dy, s);
  return convSigned(
    up,
    wr,
    {
      top: span - 1 - pads.top,
      bottom: span - 1 + extraH - pads.bottom - (s - 1),
      left: span - 1 - pads.left,
      right: span - 1 + extraW - pads.right - (s - 1),
    },
    d,
  );
}

export interface ConvOptions {
  readonly stride: number;
  readonly dilation: number;
  /** Zero padding done inside the convolution. */
  readonly pads: Pads;
}

function explicitPads(p: Pads): [[0, 0], [number, number], [number, number], [0, 0]] {
  return [
    [0, 0],
    [p.top, p.bottom],
    [p.left, p.right],
    [0, 0],
  ];
}

const convCache = new Map<string, (...args: tf.Tensor[]) => T4>();

/** Builds (once per configuration) the custom-gradient convolution. */
function convFn(o: ConvOptions, withBias: boolean): (...args: tf.Tensor[]) => T4 {
  const key = `${o.stride}/${o.dilation}/${o.pads.top},${o.pads.bottom},${o.pads.left},${o.pads.right}/${withBias}`;
  let fn = convCache.get(key);
  if (fn) return fn;
  if (o.stride > 1 && o.dilation > 1) {
    throw new DurnBugError(`conv2d with stride ${o.stride} and dilation ${o.dilation} at once`);
  }
  const pad = explicitPads(o.pads);
  fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as T4;
    const w = args[1] as T4;
    const bias = withBias ? (args[2] as tf.Tensor1D) : undefined;
    const save = args[withBias ? 3 : 2] as tf.GradSaveFunc;
    save([x, w]);
    const value = bias
      ? tf.fused.conv2d({
          x,
          filter: w,
          strides: o.stride,
          pad,
          dataFormat: 'NHWC',
          dilations: o.dilation,
          bias,
        })
      : tf.conv2d(x, w, o.stride, pad, 'NHWC', o.dilation);
    return {
      value,
      gradFunc: (dy: T4, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [T4, T4];
        const dx = convInputGrad(dy, sw, sx.shape, o);
        const xp = o.pads === NO_PADS || sumPads(o.pads) === 0 ? sx : tf.pad(sx, pad);
        const dw = convFilterGrad(xp, dy, sw.shape[0], o.stride, o.dilation);
        return bias ? [dx, dw, tf.sum(dy, [0, 1, 2])] : [dx, dw];
      },
    };
  });
  convCache.set(key, fn);
  return fn;
}

function sumPads(p: Pads): number {
  return p.top + p.bottom + p.left + p.right;
}

/**
 * PyTorch Conv2d (cross-correlation) with zero padding `pads`, stride and dilation (not both > 1),
 * optional bias; x NHWC, w HWIO.
 */
export function conv2d(x: T4, w: T4, bias: tf.Tensor1D | null, o: Partial<ConvOptions> = {}): T4 {
  const opts: ConvOptions = { stride: o.stride ?? 1, dilation: o.dilation ?? 1, pads: o.pads ?? NO_PADS };
  const fn = convFn(opts, bias !== null);
  return bias ? fn(x, w, bias) : fn(x, w);
}

/**
 * PyTorch ConvTranspose2d (weight as stored by PyTorch, [inC, outC, k, k], passed here as
 * `wIOHW`) with symmetric `padding`: zero-insert x, then a stride-1 correlation with the rotated
 * filter, padded k−1−padding each side. Differentiable through `conv2d` and standard ops.
 */
export function convTranspose2d(
  x: T4,
  wIOHW: tf.Tensor4D,
  bias: tf.Tensor1D | null,
  stride: number,
  padding: number,
): T4 {
  const k = wIOHW.shape[2];
  invariant(wIOHW.shape[3] === k, 'convTranspose2d with a non-square kernel');
  const filter = tf.reverse(tf.transpose(wIOHW, [2, 3, 0, 1]), [0, 1]); // HWIO, rotated
  const edge = k - 1 - padding;
  invariant(edge >= 0, `convTranspose2d padding ${padding} ≥ kernel ${k}`);
  const up = zeroInsert(x, stride);
  // Output size (H−1)·s + k − 2p; zeroInsert's s−1 trailing zeros count toward the bottom edge.
  return convSignedWithBias(up, filter, bias, {
    top: edge,
    bottom: edge - (stride - 1),
    left: edge,
    right: edge - (stride - 1),
  });
}

function convSignedWithBias(x: T4, w: T4, bias: tf.Tensor1D | null, pads: Pads): T4 {
  if (pads.top >= 0 && pads.bottom >= 0 && pads.left >= 0 && pads.right >= 0) {
    return conv2d(x, w, bias, { pads });
  }
  const [, h, wd] = x.shape;
  const crop = (p: number) => Math.max(0, -p);
  const cropped = tf.slice(
    x,
    [0, crop(pads.top), crop(pads.left), 0],
    [-1, h - crop(pads.top) - crop(pads.bottom), wd - crop(pads.left) - crop(pads.right), -1],
  );
  const pos = (p: number) => Math.max(0, p);
  return conv2d(cropped, w, bias, {
    pads: { top: pos(pads.top), bottom: pos(pads.bottom), left: pos(pads.left), right: pos(pads.right) },
  });
}

/**
 * Adjoint of reflect padding along one axis: the centre of dy plus each reflected border slice,
 * reversed and added back onto the rows it was copied from (row 1.. for the top, ..H−2 for the bottom).
 */
function reflectPadGradAxis(dy: T4, axis: 1 | 2, before: number, after: number): T4 {
  if (before === 0 && after === 0) return dy;
  const len = dy.shape[axis] - before - after;
  const begin = (at: number): number[] => (axis === 1 ? [0, at, 0, 0] : [0, 0, at, 0]);
  const size = (n: number): number[] => (axis === 1 ? [-1, n, -1, -1] : [-1, -1, n, -1]);
  const padAxis = (a: number, b: number): [number, number][] =>
    axis === 1
      ? [
          [0, 0],
          [a, b],
          [0, 0],
          [0, 0],
        ]
      : [
          [0, 0],
          [0, 0],
          [a, b],
          [0, 0],
        ];
  let dx: T4 = tf.slice(dy, begin(before), size(len));
  if (before > 0) {
    const top = tf.reverse(tf.slice(dy, begin(0), size(before)), axis);
    dx = tf.add(dx, tf.pad(top, padAxis(1, len - 1 - before)));
  }
  if (after > 0) {
    const bottom = tf.reverse(tf.slice(dy, begin(before + len), size(after)), axis);
    dx = tf.add(dx, tf.pad(bottom, padAxis(len - 1 - after, 1)));
  }
  return dx;
}

const reflectCache = new Map<string, (x: tf.Tensor) => T4>();

/** PyTorch ReflectionPad2d (each pad < the side it pads) with a correct gradient. */
export function reflectPad(x: T4, p: Pads): T4 {
  if (sumPads(p) === 0) return x;
  if (Math.max(p.top, p.bottom) >= x.shape[1] || Math.max(p.left, p.right) >= x.shape[2]) {
    throw new DurnBugError(`reflection pad ${JSON.stringify(p)} of a ${x.shape[1]}×${x.shape[2]} map`);
  }
  const key = `${p.top},${p.bottom},${p.left},${p.right}`;
  let fn = reflectCache.get(key);
  if (!fn) {
    fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const input = args[0] as T4;
      const value = tf.mirrorPad(input, explicitPads(p), 'reflect');
      return {
        value,
        gradFunc: (dy: T4) =>
          reflectPadGradAxis(reflectPadGradAxis(dy, 1, p.top, p.bottom), 2, p.left, p.right),
      };
    }) as (x: tf.Tensor) => T4;
    reflectCache.set(key, fn);
  }
  return fn(x);
}

/** Zero padding (tf.pad; its gradient is a slice). */
export function zeroPad(x: T4, p: Pads): T4 {
  return sumPads(p) === 0 ? x : tf.pad(x, explicitPads(p));
}

/**
 * PixelShuffle in PyTorch (CRD) channel order: out[n, r·h+i, r·w+j, c] = x[n, h, w, r²·c + r·i + j].
 * Reshape and transpose only (both differentiable); N and H are merged to stay at rank 5.
 */
export function pixelShuffle(x: T4, r: number): T4 {
  const [n, h, w, cr] = x.shape;
  const c = cr / (r * r);
  invariant(Number.isInteger(c), `pixelShuffle of ${cr} channels by ${r}`);
  const split = tf.reshape(x, [n * h, w, c, r, r]); // [nh, w, c, i, j]
  const moved = tf.transpose(split, [0, 3, 1, 4, 2]); // [nh, i, w, j, c]
  return tf.reshape(moved, [n, h * r, w * r, c]);
}

/** Mean over H and W, keeping them: [N, 1, 1, C]. */
export function globalAvgPool(x: T4): T4 {
  return tf.mean(x, [1, 2], true);
}

/** nn.Linear on [N, 1, 1, inF] with the weight pre-transposed to [inF, outF]. */
export function linear(x: T4, wT: tf.Tensor2D, bias: tf.Tensor1D | null): T4 {
  const [n, , , f] = x.shape;
  const flat = tf.reshape(x, [n, f]);
  const y = bias ? tf.add(tf.matMul(flat, wT), bias) : tf.matMul(flat, wT);
  return tf.reshape(y, [n, 1, 1, wT.shape[1]]);
}
