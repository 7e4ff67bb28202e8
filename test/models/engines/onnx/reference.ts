/**
 * A deliberately naive float64 interpreter of the network IR, straight from PyTorch's definitions,
 * used to check the ONNX lowering op by op on small hand-built graphs.
 */
import type { Graph, GraphNode } from '../../../../src/models/graph/types.ts';
import type { StateDict } from '../../../../src/models/weights/types.ts';

interface T {
  c: number;
  h: number;
  w: number;
  d: Float64Array;
}

const at = (t: T, c: number, y: number, x: number) => t.d[(c * t.h + y) * t.w + x]!;
const make = (c: number, h: number, w: number): T => ({ c, h, w, d: new Float64Array(c * h * w) });

function reflect(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

function pad(
  t: T,
  p: { top: number; bottom: number; left: number; right: number },
  mode: 'reflect' | 'zero',
): T {
  const o = make(t.c, t.h + p.top + p.bottom, t.w + p.left + p.right);
  for (let c = 0; c < t.c; c++)
    for (let y = 0; y < o.h; y++)
      for (let x = 0; x < o.w; x++) {
        let sy = y - p.top;
        let sx = x - p.left;
        if (mode === 'reflect') {
          sy = reflect(sy, t.h);
          sx = reflect(sx, t.w);
        } else if (sy < 0 || sy >= t.h || sx < 0 || sx >= t.w) continue;
        o.d[(c * o.h + y) * o.w + x] = at(t, c, sy, sx);
      }
  return o;
}

export function runReference(
  g: Graph,
  sd: StateDict,
  input: { c: number; h: number; w: number; d: Float64Array },
): T {
  const p = (name: string) => sd.get(name)!.data as Float32Array;
  const v = new Map<string, T>([[g.input, input]]);
  const get = (id: string) => v.get(id)!;
  for (const n of g.nodes as GraphNode[]) {
    let o: T;
    switch (n.op) {
      case 'conv2d': {
        const x = pad(get(n.x), n.pad, n.padMode);
        const w = p(n.weight);
        const b = n.bias ? p(n.bias) : null;
        const k = n.kernel;
        const span = n.dilation * (k - 1) + 1;
        o = make(n.outC, Math.floor((x.h - span) / n.stride) + 1, Math.floor((x.w - span) / n.stride) + 1);
        for (let oc = 0; oc < n.outC; oc++)
          for (let y = 0; y < o.h; y++)
            for (let xx = 0; xx < o.w; xx++) {
              let s = b ? b[oc]! : 0;
              for (let ic = 0; ic < n.inC; ic++)
                for (let i = 0; i < k; i++)
                  for (let j = 0; j < k; j++)
                    s +=
                      w[((oc * n.inC + ic) * k + i) * k + j]! *
                      at(x, ic, y * n.stride + i * n.dilation, xx * n.stride + j * n.dilation);
              o.d[(oc * o.h + y) * o.w + xx] = s;
            }
        break;
      }
      case 'convTranspose2d': {
        const x = get(n.x);
        const w = p(n.weight);
        const b = p(n.bias!);
        const k = n.kernel;
        const full = make(n.outC, (x.h - 1) * n.stride + k, (x.w - 1) * n.stride + k);
        for (let ic = 0; ic < n.inC; ic++)
          for (let y = 0; y < x.h; y++)
            for (let xx = 0; xx < x.w; xx++)
              for (let oc = 0; oc < n.outC; oc++)
                for (let i = 0; i < k; i++)
                  for (let j = 0; j < k; j++)
                    full.d[(oc * full.h + y * n.stride + i) * full.w + xx * n.stride + j]! +=
                      at(x, ic, y, xx) * w[((ic * n.outC + oc) * k + i) * k + j]!;
        const q = n.padding;
        o = make(n.outC, full.h - 2 * q, full.w - 2 * q);
        for (let c = 0; c < o.c; c++)
          for (let y = 0; y < o.h; y++)
            for (let xx = 0; xx < o.w; xx++)
              o.d[(c * o.h + y) * o.w + xx] = at(full, c, y + q, xx + q) + b[c]!;
        break;
      }
      case 'batchNorm':
      case 'instanceNorm': {
        const x = get(n.x);
        o = make(x.c, x.h, x.w);
        const hw = x.h * x.w;
        for (let c = 0; c < x.c; c++) {
          let mean: number;
          let variance: number;
          let gamma: number;
          let beta: number;
          if (n.op === 'batchNorm') {
            mean = p(`${n.prefix}.running_mean`)[c]!;
            variance = p(`${n.prefix}.running_var`)[c]!;
            gamma = p(`${n.prefix}.weight`)[c]!;
            beta = p(`${n.prefix}.bias`)[c]!;
          } else {
            const ch = x.d.subarray(c * hw, (c + 1) * hw);
            mean = ch.reduce((a, b) => a + b, 0) / hw;
            variance = ch.reduce((a, b) => a + (b - mean) ** 2, 0) / hw;
            gamma = p(`${n.prefix}.scale`)[c]!;
            beta = p(`${n.prefix}.shift`)[c]!;
          }
          const inv = 1 / Math.sqrt(variance + n.eps);
          for (let i = c * hw; i < (c + 1) * hw; i++) o.d[i] = (x.d[i]! - mean) * inv * gamma + beta;
        }
        break;
      }
      case 'relu':
      case 'tanh':
      case 'sigmoid': {
        const x = get(n.x);
        const f =
          n.op === 'relu'
            ? (a: number) => Math.max(0, a)
            : n.op === 'tanh'
              ? Math.tanh
              : (a: number) => 1 / (1 + Math.exp(-a));
        o = { ...x, d: x.d.map(f) };
        break;
      }
      case 'add':
      case 'sub':
      case 'mul': {
        const a = get(n.a);
        const b = get(n.b);
        const hw = a.h * a.w;
        o = { ...a, d: new Float64Array(a.d.length) };
        for (let i = 0; i < a.d.length; i++) {
          const bv = b.d.length === a.d.length ? b.d[i]! : b.d[Math.floor(i / hw)]!;
          o.d[i] = n.op === 'add' ? a.d[i]! + bv : n.op === 'sub' ? a.d[i]! - bv : a.d[i]! * bv;
        }
        break;
      }
      case 'pixelShuffle': {
        const x = get(n.x);
        const r = n.factor;
        o = make(x.c / (r * r), x.h * r, x.w * r);
        for (let c = 0; c < o.c; c++)
          for (let y = 0; y < o.h; y++)
            for (let xx = 0; xx < o.w; xx++)
              o.d[(c * o.h + y) * o.w + xx] = at(
                x,
                r * r * c + r * (y % r) + (xx % r),
                Math.floor(y / r),
                Math.floor(xx / r),
              );
        break;
      }
      case 'globalAvgPool': {
        const x = get(n.x);
        const hw = x.h * x.w;
        o = make(x.c, 1, 1);
        for (let c = 0; c < x.c; c++)
          o.d[c] = x.d.subarray(c * hw, (c + 1) * hw).reduce((a, b) => a + b, 0) / hw;
        break;
      }
      case 'linear': {
        const x = get(n.x);
        const w = p(n.weight);
        const b = p(n.bias!);
        o = make(n.outF, 1, 1);
        for (let i = 0; i < n.outF; i++) {
          let s = b[i]!;
          for (let j = 0; j < n.inF; j++) s += w[i * n.inF + j]! * x.d[j]!;
          o.d[i] = s;
        }
        break;
      }
      case 'pad':
        o = pad(get(n.x), n.pads, n.mode);
        break;
      case 'avgPool': {
        const x = get(n.x);
        const k = n.kernel;
        o = make(x.c, Math.floor((x.h - k) / n.stride) + 1, Math.floor((x.w - k) / n.stride) + 1);
        for (let c = 0; c < x.c; c++)
          for (let y = 0; y < o.h; y++)
            for (let xx = 0; xx < o.w; xx++) {
              let s = 0;
              for (let i = 0; i < k; i++)
                for (let j = 0; j < k; j++) s += at(x, c, y * n.stride + i, xx * n.stride + j);
              o.d[(c * o.h + y) * o.w + xx] = s / (k * k);
            }
        break;
      }
    }
    v.set(n.id, o);
  }
  return get(g.output);
}
