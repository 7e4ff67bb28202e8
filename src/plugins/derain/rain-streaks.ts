/**
 * Rain streaks: 1–3 layers of oriented, motion-blurred streaks (as in the DID-MDN / Rain100
 * synthetic sets, made by motion-blurring sparse noise). Each streak is a segment of length L at
 * angle θ from vertical with a Gaussian cross-section (width = σ in px) and soft tapered ends,
 * splatted at random seeds (drawn over a margin so streaks also enter from outside the frame).
 * Layers are screen-blended (1 − (1 − I)(1 − R)), which never overshoots, or added and clipped.
 */
import { z } from 'zod';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Degradation } from '../../training/degradations/types.ts';
import { checkImage, clamp01, makeImage } from '../../training/image-math.ts';
import type { Rng } from '../../training/rng.ts';

export const rainLayerSchema = z.object({
  /** Streak seeds per pixel. Training 0.001–0.01. */
  density: z.number().min(0).max(0.1).default(0.004),
  /** Streak length in px. Training 8–40. */
  length: z.number().min(1).max(200).default(20),
  /** Cross-section σ in px. Training 0.4–1.4. */
  width: z.number().min(0.2).max(5).default(0.7),
  /** Angle from vertical in degrees, positive leaning right at the bottom. Training ±30. */
  angle: z.number().min(-80).max(80).default(10),
  /** Peak streak intensity (scaled per streak by U[0.5, 1]). Training 0.2–0.8. */
  brightness: z.number().min(0).max(1).default(0.5),
});
export type RainLayer = z.output<typeof rainLayerSchema>;

export const rainStreaksSchema = z.object({
  layers: z
    .array(rainLayerSchema)
    .min(1)
    .max(3)
    .default([rainLayerSchema.parse({})]),
  blend: z.enum(['screen', 'additive']).default('screen'),
  /** Multiplies every layer's density: below 1 sparse rain, 0 none. Default 1. */
  densityScale: z.number().min(0).max(10).optional(),
});
export type RainStreaksParams = z.output<typeof rainStreaksSchema>;

/** One streak's stamp: peak 1, oriented along (sin θ, cos θ) in (x, y-down) coordinates. */
export function streakKernel(layer: Pick<RainLayer, 'length' | 'width' | 'angle'>): {
  kernel: Float32Array;
  size: number;
} {
  const theta = (layer.angle * Math.PI) / 180;
  const ux = Math.sin(theta);
  const uy = Math.cos(theta);
  const half = layer.length / 2;
  const taper = Math.max(1, 0.25 * layer.length);
  const r = Math.ceil(half + 3 * layer.width) + 1;
  const size = 2 * r + 1;
  const kernel = new Float32Array(size * size);
  const inv2s2 = 1 / (2 * layer.width * layer.width);
  for (let y = -r; y <= r; y++) {
    for (let x = -r; x <= r; x++) {
      const along = x * ux + y * uy;
      const across = x * uy - y * ux;
      const a = Math.abs(along);
      if (a > half) continue;
      const end = a > half - taper ? (half - a) / taper : 1;
      const profile = end * end * (3 - 2 * end);
      kernel[(y + r) * size + x + r] = profile * Math.exp(-across * across * inv2s2);
    }
  }
  return { kernel, size };
}

/** The rain layer alone (height×width, values ≥ 0, not clipped). */
export function rainLayerMap(height: number, width: number, layer: RainLayer, rng: Rng): Float32Array {
  const map = new Float32Array(height * width);
  const { kernel, size } = streakKernel(layer);
  const r = (size - 1) / 2;
  const area = (height + 2 * r) * (width + 2 * r);
  // Poisson-distributed count of seeds over the enlarged area keeps density exact on average.
  const count = rng.poisson(layer.density * area);
  for (let s = 0; s < count; s++) {
    const cx = rng.int(width + 2 * r) - r;
    const cy = rng.int(height + 2 * r) - r;
    const amp = layer.brightness * rng.uniform(0.5, 1);
    const y0 = Math.max(0, cy - r);
    const y1 = Math.min(height - 1, cy + r);
    const x0 = Math.max(0, cx - r);
    const x1 = Math.min(width - 1, cx + r);
    for (let y = y0; y <= y1; y++) {
      const krow = (y - cy + r) * size - cx + r;
      const mrow = y * width;
      for (let x = x0; x <= x1; x++) {
        const k = kernel[krow + x]!;
        if (k > 0) map[mrow + x]! += amp * k;
      }
    }
  }
  return map;
}

export function applyRainStreaks(image: ImageTensor, params: RainStreaksParams, rng: Rng): ImageTensor {
  checkImage(image, 'rain-streaks input');
  const { channels, height, width } = image;
  const n = height * width;
  const rain = new Float32Array(n);
  for (const layer of params.layers) {
    const map = rainLayerMap(
      height,
      width,
      { ...layer, density: layer.density * (params.densityScale ?? 1) },
      rng,
    );
    // Overlapping streaks combine by screen too, so a dense layer saturates rather than clips.
    for (let i = 0; i < n; i++) rain[i] = 1 - (1 - rain[i]!) * (1 - Math.min(1, map[i]!));
  }
  const out = new Float32Array(image.data.length);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) {
      const v = image.data[c * n + i]!;
      const r = rain[i]!;
      out[c * n + i] = params.blend === 'screen' ? 1 - (1 - v) * (1 - r) : clamp01(v + r);
    }
  }
  return makeImage(channels, height, width, out);
}

export function sampleRainStreaks(rng: Rng): RainStreaksParams {
  const count = rng.intBetween(1, 3);
  const baseAngle = rng.uniform(-30, 30);
  const layers: RainLayer[] = [];
  for (let i = 0; i < count; i++) {
    layers.push({
      density: rng.logUniform(0.001, 0.01),
      length: rng.uniform(8, 40),
      width: rng.uniform(0.4, 1.4),
      // Layers share the wind direction, with a little spread between them.
      angle: Math.max(-80, Math.min(80, baseAngle + rng.uniform(-5, 5))),
      brightness: rng.uniform(0.2, 0.8),
    });
  }
  return { layers, blend: rng.bernoulli(0.8) ? 'screen' : 'additive' };
}

export const rainStreaks: Degradation<RainStreaksParams> = {
  name: 'rain-streaks',
  summary: '1–3 layers of oriented, motion-blurred rain streaks, screen-blended',
  channels: [1, 3],
  schema: rainStreaksSchema,
  sample: sampleRainStreaks,
  apply: applyRainStreaks,
};
