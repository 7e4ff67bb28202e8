/**
 * Baseline JPEG compression as a pure, synchronous function (the loss only: entropy coding is
 * lossless), so a degradation can compress a training patch inside the data loader without an
 * encoder round trip: 8-bit samples, JFIF YCbCr, 4:2:0 chroma (2×2 box average), 8×8 DCT,
 * quantisation with the JPEG Annex K tables scaled by quality as libjpeg does (jcparam.c), and a
 * decoder with libjpeg's "fancy" triangular chroma upsampling. The test compares it with sharp.
 */
import type { ImageTensor } from '../../models/engines/types.ts';
import { makeImage } from '../../training/image-math.ts';

// JPEG standard (ITU T.81 Annex K) tables, natural (row-major) order.
const LUMA_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22,
  29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103,
  121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_TABLE = [
  17,
  18,
  24,
  47,
  99,
  99,
  99,
  99,
  18,
  21,
  26,
  66,
  99,
  99,
  99,
  99,
  24,
  26,
  56,
  99,
  99,
  99,
  99,
  99,
  47,
  66,
  99,
  99,
  99,
  99,
  99,
  99,
  ...new Array<number>(32).fill(99),
];

/** libjpeg's jpeg_quality_scaling + jpeg_add_quant_table (baseline: entries clamped to 1–255). */
export function quantTable(base: readonly number[], quality: number): Float64Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
  return Float64Array.from(base, (b) => Math.min(255, Math.max(1, Math.floor((b * scale + 50) / 100))));
}

// cos((2x + 1)uπ/16)·C(u)/2, so that F = T·block·Tᵀ is the orthonormal 8×8 DCT-II.
const DCT = (() => {
  const t = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    for (let x = 0; x < 8; x++) {
      t[u * 8 + x] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
    }
  }
  return t;
})();

/** Quantises one plane (values 0–255, dimensions multiples of 8) in place, block by block. */
function quantisePlane(p: Float64Array, w: number, h: number, table: Float64Array): void {
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  for (let by = 0; by < h; by += 8) {
    for (let bx = 0; bx < w; bx += 8) {
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) block[y * 8 + x] = p[(by + y) * w + bx + x]! - 128;
      // Forward: tmp = T·B, F = tmp·Tᵀ; quantise; inverse: tmp = Tᵀ·F, B = tmp·T.
      for (let u = 0; u < 8; u++)
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let y = 0; y < 8; y++) s += DCT[u * 8 + y]! * block[y * 8 + x]!;
          tmp[u * 8 + x] = s;
        }
      for (let u = 0; u < 8; u++)
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let x = 0; x < 8; x++) s += tmp[u * 8 + x]! * DCT[v * 8 + x]!;
          const q = table[u * 8 + v]!;
          block[u * 8 + v] = Math.round(s / q) * q;
        }
      for (let y = 0; y < 8; y++)
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let u = 0; u < 8; u++) s += DCT[u * 8 + y]! * block[u * 8 + v]!;
          tmp[y * 8 + v] = s;
        }
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let v = 0; v < 8; v++) s += tmp[y * 8 + v]! * DCT[v * 8 + x]!;
          p[(by + y) * w + bx + x] = Math.min(255, Math.max(0, Math.round(s + 128)));
        }
    }
  }
}

/** A plane padded to (pw, ph) by repeating the last column and row, as libjpeg pads. */
function padded(src: Float64Array, w: number, h: number, pw: number, ph: number): Float64Array {
  const out = new Float64Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    const sy = Math.min(y, h - 1);
    for (let x = 0; x < pw; x++) out[y * pw + x] = src[sy * w + Math.min(x, w - 1)]!;
  }
  return out;
}

/** libjpeg h2v2 fancy upsampling: each output weighs its nearer chroma sample 3:1, per axis. */
function upsample(c: Float64Array, cw: number, ch: number): Float64Array {
  const w = 2 * cw;
  const out = new Float64Array(w * 2 * ch);
  for (let y = 0; y < 2 * ch; y++) {
    const near = y >> 1;
    const far = Math.min(ch - 1, Math.max(0, y & 1 ? near + 1 : near - 1));
    for (let x = 0; x < w; x++) {
      const nx = x >> 1;
      const fx = Math.min(cw - 1, Math.max(0, x & 1 ? nx + 1 : nx - 1));
      const v = 9 * c[near * cw + nx]! + 3 * c[near * cw + fx]! + 3 * c[far * cw + nx]! + c[far * cw + fx]!;
      out[y * w + x] = v / 16;
    }
  }
  return out;
}

/**
 * The image after a JPEG round trip at `quality` (1–100): 8-bit, [0, 1]. Grey images are one
 * luma plane; colour ones use 4:2:0 chroma subsampling (what cameras and sharp write by default).
 */
export function jpegRoundTrip(image: ImageTensor, quality: number): ImageTensor {
  const { channels, height: h, width: w } = image;
  const n = h * w;
  const byte = (v: number) => Math.min(255, Math.max(0, Math.round(v * 255)));
  const lumaQ = quantTable(LUMA_TABLE, quality);
  const out = new Float32Array(image.data.length);
  const pw = Math.ceil(w / 16) * 16;
  const ph = Math.ceil(h / 16) * 16;
  if (channels === 1) {
    const y = padded(Float64Array.from(image.data, byte), w, h, pw, ph);
    quantisePlane(y, pw, ph, lumaQ);
    for (let r = 0; r < h; r++) for (let x = 0; x < w; x++) out[r * w + x] = y[r * pw + x]! / 255;
    return makeImage(1, h, w, out);
  }
  const Y = new Float64Array(n);
  const cb = new Float64Array(n);
  const cr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = byte(image.data[i]!);
    const g = byte(image.data[n + i]!);
    const b = byte(image.data[2 * n + i]!);
    Y[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
    cb[i] = Math.round(-0.168736 * r - 0.331264 * g + 0.5 * b + 128);
    cr[i] = Math.round(0.5 * r - 0.418688 * g - 0.081312 * b + 128);
  }
  const yp = padded(Y, w, h, pw, ph);
  quantisePlane(yp, pw, ph, lumaQ);
  const chromaQ = quantTable(CHROMA_TABLE, quality);
  const cw = pw / 2;
  const chh = ph / 2;
  const chroma = [cb, cr].map((plane) => {
    const p = padded(plane, w, h, pw, ph);
    const sub = new Float64Array(cw * chh);
    for (let y = 0; y < chh; y++)
      for (let x = 0; x < cw; x++) {
        const i = 2 * y * pw + 2 * x;
        sub[y * cw + x] = Math.round((p[i]! + p[i + 1]! + p[i + pw]! + p[i + pw + 1]!) / 4);
      }
    quantisePlane(sub, cw, chh, chromaQ);
    return upsample(sub, cw, chh);
  });
  const [ub, ur] = chroma as [Float64Array, Float64Array];
  const clamp = (v: number) => Math.min(255, Math.max(0, Math.round(v))) / 255;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = yp[y * pw + x]!;
      const b = ub[y * pw + x]! - 128;
      const r = ur[y * pw + x]! - 128;
      const i = y * w + x;
      out[i] = clamp(l + 1.402 * r);
      out[n + i] = clamp(l - 0.344136 * b - 0.714136 * r);
      out[2 * n + i] = clamp(l + 1.772 * b);
    }
  }
  return makeImage(3, h, w, out);
}
