/** The integer-formula test images of scripts/metrics-ssim-reference.py, recomputed identically. */
import type { ImageTensor } from '../../src/models/engines/types.ts';

export type TestImageKind = 'clean' | 'noisy' | 'blurred';

function clean(c: number, seed: number, h: number, w: number): Int32Array {
  const v = new Int32Array(h * w);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const g = ((Math.floor(i / 8) + Math.floor(j / 8) + c + seed) % 2) * 120;
      const r = (i * 7919 + j * 104729 + c * 1299709 + seed * 15485863) % 65;
      const s = (i * 2 + j) % 64;
      v[i * w + j] = Math.min(30 + g + r + s, 255);
    }
  }
  return v;
}

function noisy(v: Int32Array, c: number, seed: number, h: number, w: number): Int32Array {
  const out = new Int32Array(v.length);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const n = (((i * 31 + j * 17 + c * 7 + seed * 3) * (i + 2 * j + c + 1)) % 41) - 20;
      out[i * w + j] = Math.min(255, Math.max(0, v[i * w + j]! + n));
    }
  }
  return out;
}

function blurred(v: Int32Array, h: number, w: number): Int32Array {
  const out = new Int32Array(v.length);
  const at = (i: number, j: number) =>
    v[Math.min(h - 1, Math.max(0, i)) * w + Math.min(w - 1, Math.max(0, j))]!;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      let acc = 0;
      for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) acc += at(i + di, j + dj);
      out[i * w + j] = Math.floor(acc / 9);
    }
  }
  return out;
}

export function testImage(kind: TestImageKind, channels: number, seed: number, h = 40, w = 48): ImageTensor {
  const data = new Float32Array(channels * h * w);
  for (let c = 0; c < channels; c++) {
    let v = clean(c, seed, h, w);
    if (kind === 'noisy') v = noisy(v, c, seed, h, w);
    else if (kind === 'blurred') v = blurred(v, h, w);
    for (let k = 0; k < h * w; k++) data[c * h * w + k] = v[k]! / 255;
  }
  return { channels, height: h, width: w, data };
}
