/**
 * Fresh weights for a network, initialised as PyTorch initialises its layers, from a seed:
 * conv/linear weights and biases uniform in ±1/sqrt(fan_in) (kaiming_uniform with a = √5),
 * BatchNorm weight 1, bias 0, running mean 0, var 1; instance norm scale 1, shift 0.
 * Used to train from scratch, and by tests that need a real network without trained weights.
 *
 * `identity: true` zeroes the last convolution (the one before the final tanh). Every DuRN ends in
 * `input ± tanh(conv(...))`, so the untrained network is then exactly the identity: training starts
 * from the degraded input's quality instead of well below it, and a short run cannot make photos
 * worse than doing nothing (the zero-init-residual trick of Fixup / ESRGAN).
 */
import { DurnBugError } from '../../core/errors.ts';
import type { NetworkDefinition } from '../graph/types.ts';
import type { HostTensor, StateDict } from './types.ts';

/** mulberry32: tiny, deterministic, good enough for initial weights (and test data). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The convolution whose output goes through the network's final tanh. */
export function outputConv(def: NetworkDefinition): { weight: string; bias: string | null } {
  const nodes = def.graph.nodes;
  const tanh = nodes.findLast((n) => n.op === 'tanh');
  const conv = tanh && 'x' in tanh ? nodes.find((n) => n.id === tanh.x) : undefined;
  if (conv?.op !== 'conv2d') throw new DurnBugError(`${def.id}: no convolution feeds a final tanh`);
  return { weight: conv.weight, bias: conv.bias };
}

export function initialWeights(
  def: NetworkDefinition,
  seed = 0,
  options: { identity?: boolean } = {},
): StateDict {
  const rand = mulberry32(seed);
  const out: StateDict = new Map();
  // fan_in of each weight, to scale its bias the way PyTorch does.
  const fanIn = new Map<string, number>();
  for (const n of def.graph.nodes) {
    if (n.op === 'conv2d') fanIn.set(n.weight, n.inC * n.kernel * n.kernel);
    if (n.op === 'convTranspose2d') fanIn.set(n.weight, n.outC * n.kernel * n.kernel);
    if (n.op === 'linear') fanIn.set(n.weight, n.inF);
    if ((n.op === 'conv2d' || n.op === 'convTranspose2d' || n.op === 'linear') && n.bias) {
      fanIn.set(n.bias, fanIn.get(n.weight)!);
    }
  }
  for (const p of def.graph.params) {
    const size = p.shape.reduce((a, b) => a * b, 1);
    let t: HostTensor;
    if (p.dtype === 'int64') {
      t = { shape: p.shape, dtype: 'int64', data: new BigInt64Array(size) };
    } else {
      const data = new Float32Array(size);
      if (p.role === 'weight' || p.role === 'bias') {
        const bound = 1 / Math.sqrt(fanIn.get(p.name) ?? 1);
        for (let i = 0; i < size; i++) data[i] = (rand() * 2 - 1) * bound;
      } else if (p.role === 'bn.weight' || p.role === 'bn.running_var' || p.role === 'in.scale') {
        data.fill(1);
      }
      t = { shape: p.shape, dtype: 'float32', data };
    }
    out.set(p.name, t);
  }
  if (options.identity) {
    const last = outputConv(def);
    for (const name of [last.weight, last.bias]) {
      const t = name === null ? undefined : out.get(name);
      if (t?.data instanceof Float32Array) t.data.fill(0);
    }
  }
  return out;
}
