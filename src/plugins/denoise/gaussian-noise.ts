/**
 * Additive white Gaussian noise, the DuRN paper's grayscale denoising task (σ = 30/50/70 on
 * BSD200; training draws σ blind from [5, 75]).
 *
 * Clipping: the paper only says it follows "the same experimental protocols used by previous
 * studies" (REDNet, MemNet, E-CAE), whose data scripts add `sigma/255 * randn` to the clean image
 * and feed the result to the network unclipped; their published test sets are stored as floats.
 * So the default is no clipping, which keeps the noise exactly zero-mean Gaussian with the stated σ
 * (clipping at 0/1 biases dark and bright regions and lowers the effective σ). `clip: true` gives
 * what a saved 8-bit noisy photo would contain.
 */
import { z } from 'zod';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Degradation } from '../../training/degradations/types.ts';
import { checkImage, clamp01, makeImage } from '../../training/image-math.ts';
import type { Rng } from '../../training/rng.ts';

export const gaussianNoiseSchema = z.object({
  /** Standard deviation in 0–255 units (the paper's convention). Default 25. */
  sigma: z.number().min(0).max(255).default(25),
  /** Clip the result to [0, 1]. Default false (the paper's protocol). */
  clip: z.boolean().default(false),
});
export type GaussianNoiseParams = z.output<typeof gaussianNoiseSchema>;

/** Training range for blind denoising: σ uniform in [5, 75], covering the paper's 30/50/70. */
export const GAUSSIAN_SIGMA_RANGE = [5, 75] as const;

export function addGaussianNoise(image: ImageTensor, params: GaussianNoiseParams, rng: Rng): ImageTensor {
  checkImage(image, 'gaussian-noise input');
  const sd = params.sigma / 255;
  const src = image.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i]! + sd * rng.normal();
    out[i] = params.clip ? clamp01(v) : v;
  }
  return makeImage(image.channels, image.height, image.width, out);
}

export const gaussianNoise: Degradation<GaussianNoiseParams> = {
  name: 'gaussian-noise',
  summary: 'additive white Gaussian noise, σ in 0–255 units, unclipped by default',
  channels: [1, 3],
  schema: gaussianNoiseSchema,
  sample: (rng) => ({ sigma: rng.uniform(GAUSSIAN_SIGMA_RANGE[0], GAUSSIAN_SIGMA_RANGE[1]), clip: false }),
  apply: addGaussianNoise,
};
