/**
 * The building blocks of the paper's networks (reference doc, "Building blocks" and "DuRB"),
 * each adding its layers to a GraphBuilder under the reference implementation's parameter names.
 */
import type { GraphBuilder } from '../graph/builder.ts';
import type { Value } from '../graph/types.ts';

export type Norm = 'bn' | 'in' | 'none';

/** `ConvR(k, s, d)`: reflection pad d*(k-1)/2, valid conv. Keys `<name>.conv2d.{weight,bias}`. */
export function convR(
  b: GraphBuilder,
  name: string,
  x: Value,
  outC: number,
  k: number,
  stride = 1,
  dilation = 1,
) {
  return b.conv2d(x, {
    outC,
    kernel: k,
    stride,
    dilation,
    pad: (dilation * (k - 1)) / 2,
    padMode: 'reflect',
    weightKey: `${name}.conv2d.weight`,
    biasKey: `${name}.conv2d.bias`,
  });
}

/** `ConvRZ(k, s, d)`: reflection pad floor(k/2) when d == 1, zero pad d when d > 1 (all such k are 3). */
export function convRZ(
  b: GraphBuilder,
  name: string,
  x: Value,
  outC: number,
  k: number,
  stride = 1,
  dilation = 1,
) {
  const reflect = dilation === 1;
  return b.conv2d(x, {
    outC,
    kernel: k,
    stride,
    dilation,
    pad: reflect ? Math.floor(k / 2) : dilation,
    padMode: reflect ? 'reflect' : 'zero',
    weightKey: `${name}.conv2d.weight`,
    biasKey: `${name}.conv2d.bias`,
  });
}

/** Plain `nn.Conv2d` with zero padding. Keys `<name>.{weight,bias}`. */
export function conv(
  b: GraphBuilder,
  name: string,
  x: Value,
  outC: number,
  k: number,
  stride: number,
  pad: number,
) {
  return b.conv2d(x, {
    outC,
    kernel: k,
    stride,
    pad,
    padMode: 'zero',
    weightKey: `${name}.weight`,
    biasKey: `${name}.bias`,
  });
}

/** The network's normalisation under `<name>.norm.*`, or nothing. */
export function norm(b: GraphBuilder, kind: Norm, name: string, x: Value): Value {
  if (kind === 'bn') return b.batchNorm(x, `${name}.norm`);
  if (kind === 'in') return b.instanceNorm(x, `${name}.norm`);
  return x;
}

/**
 * SE-ResNet module: conv3x3 → [bn1] → ReLU → conv3x3 → [bn2] → channel attention → relu(y + x).
 * `hidden` is the attention's hidden width (not a ratio).
 */
export function seModule(b: GraphBuilder, name: string, x: Value, hidden: number, withNorm: boolean): Value {
  const c = x.channels;
  const conv3 = (key: string, v: Value) =>
    b.conv2d(v, {
      outC: c,
      kernel: 3,
      pad: 1,
      padMode: 'zero',
      weightKey: `${name}.${key}.weight`,
      biasKey: null,
    });
  let y = conv3('conv1', x);
  if (withNorm) y = b.batchNorm(y, `${name}.bn1`);
  y = b.relu(y);
  y = conv3('conv2', y);
  if (withNorm) y = b.batchNorm(y, `${name}.bn2`);
  let w = b.globalAvgPool(y);
  w = b.relu(
    b.linear(w, { outF: hidden, weightKey: `${name}.se.fc.0.weight`, biasKey: `${name}.se.fc.0.bias` }),
  );
  w = b.sigmoid(
    b.linear(w, { outF: c, weightKey: `${name}.se.fc.2.weight`, biasKey: `${name}.se.fc.2.bias` }),
  );
  return b.relu(b.addValues(b.scaleChannels(y, w), x));
}

type ConvFn = typeof convR;

/** Shared opening of every DuRB: x_r = x; relu(n1(conv1 x)); conv2 + x_r; relu(n2(.)). */
function durbHead(b: GraphBuilder, name: string, x: Value, n: Norm, convFn: ConvFn): Value {
  const c = x.channels;
  let y = b.relu(norm(b, n, `${name}.norm1`, convFn(b, `${name}.conv1`, x, c, 3)));
  y = b.addValues(convFn(b, `${name}.conv2`, y, c, 3), x);
  return b.relu(norm(b, n, `${name}.norm2`, y));
}

export interface DurbPOptions {
  /** Kernel of the first paired operation (up_conv). */
  k1: number;
  /** Kernel of the second paired operation (down_conv). */
  k2: number;
  /** Dilation of up_conv. */
  d: number;
  norm: Norm;
  /** ConvR for DuRN-P/S, ConvRZ for DuRN-S-P. */
  convFn?: ConvFn;
  /** DuRB-S: an SE module (hidden width) before down_conv. */
  se?: { hidden: number };
}

/** DuRB-P (and DuRB-S when `se` is set): T1 = up_norm(up_conv x), T2 = down_norm(down_conv([SE] x)). */
export function durbP(b: GraphBuilder, name: string, x: Value, res: Value, o: DurbPOptions): [Value, Value] {
  const convFn = o.convFn ?? convR;
  const c = x.channels;
  let y = durbHead(b, name, x, o.norm, convFn);
  y = norm(b, o.norm, `${name}.up_norm`, convFn(b, `${name}.up_conv`, y, c, o.k1, 1, o.d));
  y = b.relu(b.addValues(y, res));
  const resOut = y;
  if (o.se) y = seModule(b, `${name}.se`, y, o.se.hidden, o.norm === 'bn');
  y = norm(b, o.norm, `${name}.down_norm`, convFn(b, `${name}.down_conv`, y, c, o.k2));
  return [b.relu(b.addValues(y, x)), resOut];
}

/**
 * DuRB-U (instance norm) and DuRB-US (no norm, SE): T1 upsamples (conv_pre → PS → up_conv) and
 * meets `res` at twice the resolution; T2 downsamples back with a stride-2 conv.
 */
export function durbUp(
  b: GraphBuilder,
  name: string,
  x: Value,
  res: Value,
  o: { f: number; d: number; variant: 'U' | 'US' },
): [Value, Value] {
  const c = x.channels;
  const n: Norm = o.variant === 'U' ? 'in' : 'none';
  let y = durbHead(b, name, x, n, convRZ);
  if (o.variant === 'U') {
    y = norm(b, n, `${name}.norm_pre`, convRZ(b, `${name}.conv_pre`, y, 2 * c, 1));
    y = convRZ(b, `${name}.up_conv`, b.pixelShuffle(y), c / 2, o.f, 1, o.d);
    y = b.relu(norm(b, n, `${name}.up_norm`, b.addValues(y, res)));
  } else {
    y = convRZ(b, `${name}.conv_pre`, y, 4 * c, 3);
    y = convRZ(b, `${name}.up_conv`, b.pixelShuffle(y), c, o.f, 1, o.d);
    y = b.relu(b.addValues(y, res));
  }
  const resOut = y;
  if (o.variant === 'US') y = seModule(b, `${name}.se`, y, 32, false);
  y = convRZ(b, `${name}.down_conv`, y, c, 3, 2);
  y = b.relu(norm(b, n, `${name}.down_norm`, b.addValues(y, x)));
  return [y, resOut];
}
