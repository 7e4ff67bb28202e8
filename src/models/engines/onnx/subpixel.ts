/**
 * A transposed convolution whose kernel is a multiple of its stride, rewritten as a stride-1
 * convolution to s² phases per output channel, then DepthToSpace (CRD) and a crop of `padding`.
 * ONNX Runtime's CPU ConvTranspose is a GEMM plus col2im outside its blocked (NCHWc) layout; the
 * rewrite runs as an ordinary Conv there, with the same arithmetic. Opt-in (LowerOptions).
 *
 * Derivation: the full transposed output at row s·q + r sums W[i, o, r + s·m, ·] · x[i, q − m, ·]
 * over m < K = k/s, which is a correlation of x (zero-padded by K − 1) with the kernel flipped in m.
 */
import { DurnBugError } from '../../../core/errors.ts';

export function canUseSubPixel(kernel: number, stride: number): boolean {
  return stride > 1 && kernel % stride === 0;
}

/**
 * Weights [outC·s², inC, K, K] of the equivalent convolution, from PyTorch's [inC, outC, k, k];
 * output channel (o·s + r)·s + c holds phase (r, c) of channel o, the order DepthToSpace CRD reads.
 */
export function subPixelWeights(
  w: Float32Array,
  inC: number,
  outC: number,
  k: number,
  s: number,
): Float32Array {
  if (!canUseSubPixel(k, s) || w.length !== inC * outC * k * k) {
    throw new DurnBugError(`sub-pixel rewrite of a ${k}×${k} stride-${s} transposed conv`);
  }
  const K = k / s;
  const out = new Float32Array(outC * s * s * inC * K * K);
  for (let o = 0; o < outC; o++)
    for (let r = 0; r < s; r++)
      for (let c = 0; c < s; c++) {
        const oc = (o * s + r) * s + c;
        for (let i = 0; i < inC; i++)
          for (let j = 0; j < K; j++)
            for (let l = 0; l < K; l++) {
              const u = r + s * (K - 1 - j);
              const v = c + s * (K - 1 - l);
              out[((oc * inC + i) * K + j) * K + l] = w[((i * outC + o) * k + u) * k + v]!;
            }
      }
  return out;
}

/** Bias of the equivalent convolution: each output channel's bias repeated for its s² phases. */
export function subPixelBias(b: Float32Array, s: number): Float32Array {
  const out = new Float32Array(b.length * s * s);
  for (let o = 0; o < b.length; o++) out.fill(b[o]!, o * s * s, (o + 1) * s * s);
  return out;
}
