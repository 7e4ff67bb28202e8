/** Small image builders for the degradation tests. */
import type { ImageTensor } from '../../src/models/engines/types.ts';
import { createRng } from '../../src/training/rng.ts';

export function flat(channels: number, height: number, width: number, value: number | number[]): ImageTensor {
  const data = new Float32Array(channels * height * width);
  const n = height * width;
  for (let c = 0; c < channels; c++) data.fill(Array.isArray(value) ? value[c]! : value, c * n, (c + 1) * n);
  return { channels, height, width, data };
}

/** A textured test image (smooth gradients plus random blocks), deterministic per seed. */
export function textured(channels: number, height: number, width: number, seed = 1): ImageTensor {
  const rng = createRng(seed);
  const data = new Float32Array(channels * height * width);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const block = ((x >> 3) + (y >> 3) + c) % 2 ? 0.2 : 0;
        data[(c * height + y) * width + x] =
          0.3 + 0.3 * Math.sin(x / 9 + c) * Math.cos(y / 7) + block + 0.05 * rng.uniform();
      }
    }
  }
  return { channels, height, width, data };
}

export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  const mean = s / values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(v / values.length) };
}

export function equalData(a: ImageTensor, b: ImageTensor): boolean {
  return a.data.length === b.data.length && a.data.every((v, i) => v === b.data[i]);
}
