/**
 * Classical filters `durn eval` scores beside a network, so a reader sees what the network adds
 * over the textbook method for its damage. Tasks name theirs in their recipe (`baselines`); the
 * generic ones live here, task-specific ones in the task's plugin folder.
 */
import type { ImageTensor } from '../models/engines/types.ts';
import { gaussianBlur, plane } from './image-math.ts';

/** A classical restoration method: a name for reports and a pure function of the degraded image. */
export interface Baseline {
  readonly name: string;
  run(image: ImageTensor): ImageTensor;
}

/** 3×3 median per channel, borders by replication: the textbook impulse/Gaussian noise filter. */
export function median3(image: ImageTensor): ImageTensor {
  const { channels, height: h, width: w } = image;
  const out = new Float32Array(image.data.length);
  const win = new Float32Array(9);
  for (let c = 0; c < channels; c++) {
    const p = plane(image, c);
    const o = out.subarray(c * h * w, (c + 1) * h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let k = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = Math.min(h - 1, Math.max(0, y + dy));
          for (let dx = -1; dx <= 1; dx++) win[k++] = p[yy * w + Math.min(w - 1, Math.max(0, x + dx))]!;
        }
        win.sort();
        o[y * w + x] = win[4]!;
      }
    }
  }
  return { channels, height: h, width: w, data: out };
}

export const medianBaseline: Baseline = { name: 'median 3×3', run: median3 };
export const gaussianBaseline: Baseline = { name: 'gaussian σ=1', run: (x) => gaussianBlur(x, 1) };
