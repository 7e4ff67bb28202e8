/**
 * Haze by the atmospheric scattering model (Koschmieder; used to synthesise RESIDE, DuRN's haze
 * data): I = J·t + A·(1 − t), t = exp(−β·d).
 *
 * Without a depth sensor, depth is a proxy in [0, 1] (1 = farthest): a vertical ramp (outdoor
 * photos are usually farther near the top) mixed with a smooth random field (bilinear value noise,
 * two octaves) so haze is uneven the way real scene depth is, then smoothed. Airlight is near-white
 * with a slight random tint (bluish to warm) as in overcast or smoggy skies.
 */
import { z } from 'zod';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Degradation } from '../../training/degradations/types.ts';
import { checkImage, convolveSeparable, gaussianKernel1d, makeImage } from '../../training/image-math.ts';
import type { Rng } from '../../training/rng.ts';

const unit = z.number().min(0).max(1);

export const hazeSchema = z.object({
  /** Scattering coefficient per unit of depth proxy. Default 1.2; training 0.5–2.5 (t down to 0.08). */
  beta: z.number().min(0).max(5).default(1.2),
  /** Airlight [R, G, B]; a gray image uses the mean. Default [0.9, 0.9, 0.9]; training 0.7–1, tint ±0.04. */
  airlight: z.tuple([unit, unit, unit]).default([0.9, 0.9, 0.9]),
  /** Weight of the top-to-bottom ramp versus the random field in the depth proxy. Default 0.6. */
  verticalWeight: unit.default(0.6),
  /** Nearest depth (bottom of the image, lowest of the field). Default 0.1. */
  nearDepth: unit.default(0.1),
  /** Feature size of the random depth field as a fraction of the longer side. Default 0.5. */
  fieldScale: z.number().min(0.05).max(2).default(0.5),
});
export type HazeParams = z.output<typeof hazeSchema>;

/** Value noise on a lattice with spacing `cell` px, bilinearly interpolated with smoothstep. */
function valueNoise(height: number, width: number, cell: number, rng: Rng): Float32Array {
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.uniform();
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    const fy = gy - y0;
    const sy = fy * fy * (3 - 2 * fy);
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const x0 = Math.floor(gx);
      const fx = gx - x0;
      const sx = fx * fx * (3 - 2 * fx);
      const a = grid[y0 * gw + x0]!;
      const b = grid[y0 * gw + x0 + 1]!;
      const c = grid[(y0 + 1) * gw + x0]!;
      const d = grid[(y0 + 1) * gw + x0 + 1]!;
      out[y * width + x] = (a + (b - a) * sx) * (1 - sy) + (c + (d - c) * sx) * sy;
    }
  }
  return out;
}

/** Smooth depth proxy in [nearDepth, 1], larger towards the top. */
export function hazeDepth(height: number, width: number, params: HazeParams, rng: Rng): Float32Array {
  const cell = Math.max(2, params.fieldScale * Math.max(height, width));
  const coarse = valueNoise(height, width, cell, rng);
  const fine = valueNoise(height, width, cell / 3, rng);
  const depth = new Float32Array(height * width);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let y = 0; y < height; y++) {
    const ramp = height > 1 ? 1 - y / (height - 1) : 0.5;
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const field = 0.75 * coarse[i]! + 0.25 * fine[i]!;
      const v = params.verticalWeight * ramp + (1 - params.verticalWeight) * field;
      depth[i] = v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  const smooth = convolveSeparable(
    depth,
    height,
    width,
    gaussianKernel1d(Math.max(1, Math.min(height, width) / 32)),
  );
  lo = Number.POSITIVE_INFINITY;
  hi = Number.NEGATIVE_INFINITY;
  for (const v of smooth) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo || 1;
  for (let i = 0; i < smooth.length; i++) {
    smooth[i] = params.nearDepth + (1 - params.nearDepth) * ((smooth[i]! - lo) / span);
  }
  return smooth;
}

/** The scattering model with a given depth map (height×width, row-major). */
export function hazeWithDepth(
  image: ImageTensor,
  depth: Float32Array,
  beta: number,
  airlight: readonly [number, number, number],
): ImageTensor {
  checkImage(image, 'haze input');
  const { channels, height, width } = image;
  const n = height * width;
  const out = new Float32Array(image.data.length);
  const gray = (airlight[0] + airlight[1] + airlight[2]) / 3;
  for (let c = 0; c < channels; c++) {
    const a = channels === 1 ? gray : airlight[c]!;
    for (let i = 0; i < n; i++) {
      const t = Math.exp(-beta * depth[i]!);
      out[c * n + i] = image.data[c * n + i]! * t + a * (1 - t);
    }
  }
  return makeImage(channels, height, width, out);
}

export function applyHaze(image: ImageTensor, params: HazeParams, rng: Rng): ImageTensor {
  checkImage(image, 'haze input');
  const depth = hazeDepth(image.height, image.width, params, rng);
  return hazeWithDepth(image, depth, params.beta, params.airlight);
}

export function sampleHaze(rng: Rng): HazeParams {
  const level = rng.uniform(0.7, 1);
  // A shared tint direction: positive = warm (smog), negative = cool (overcast / sky-lit).
  const tint = rng.uniform(-0.04, 0.04);
  const ch = (v: number) => Math.min(1, Math.max(0, v));
  return {
    beta: rng.uniform(0.5, 2.5),
    airlight: [
      ch(level + tint + rng.uniform(-0.01, 0.01)),
      ch(level + rng.uniform(-0.01, 0.01)),
      ch(level - tint),
    ],
    verticalWeight: rng.uniform(0.3, 0.9),
    nearDepth: rng.uniform(0, 0.3),
    fieldScale: rng.uniform(0.25, 1),
  };
}

export const haze: Degradation<HazeParams> = {
  name: 'haze',
  summary: 'atmospheric scattering I = J·t + A·(1 − t) over a smooth depth proxy',
  channels: [1, 3],
  schema: hazeSchema,
  sample: sampleHaze,
  apply: applyHaze,
};
