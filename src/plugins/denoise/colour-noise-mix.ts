/**
 * What the colour denoiser (DuRN-P without norm) trains on: mostly camera-pipeline noise (the noise
 * of real photos), some plain Gaussian noise (scanned, edited or upscaled photos, and the classic
 * benchmark), and a share of clean photos, so that a photo without noise is left alone. The
 * camera share's log-uniform shot noise also reaches down to nearly noise-free base-ISO shots.
 */
import { z } from 'zod';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Degradation } from '../../training/degradations/types.ts';
import { checkImage, makeImage } from '../../training/image-math.ts';
import type { Rng } from '../../training/rng.ts';
import {
  addCameraPipelineNoise,
  cameraPipelineNoiseSchema,
  sampleCameraPipelineNoise,
} from './camera-pipeline-noise.ts';
import { addGaussianNoise, gaussianNoiseSchema } from './gaussian-noise.ts';

export const MIX_KINDS = ['camera-pipeline', 'gaussian', 'clean'] as const;
/** Share of each kind in training, in MIX_KINDS order. */
export const MIX_WEIGHTS = [0.65, 0.25, 0.1] as const;
/** σ (0–255) of the Gaussian share: uniform, light to heavy; clipped like an 8-bit photo. */
export const MIX_GAUSSIAN_SIGMA = [2, 50] as const;
/** Probability that a camera-pipeline sample is also JPEG-compressed (most photos are JPEGs). */
export const MIX_JPEG_PROBABILITY = 0.5;

export const colourNoiseMixSchema = z.object({
  /** Which noise this sample gets. Default camera-pipeline. */
  kind: z.enum(MIX_KINDS).default('camera-pipeline'),
  /** Parameters when kind is camera-pipeline (see camera-pipeline-noise). */
  camera: cameraPipelineNoiseSchema.prefault({}),
  /** Parameters when kind is gaussian (see gaussian-noise), clipped by default like a photo. */
  gaussian: gaussianNoiseSchema.extend({ clip: z.boolean().default(true) }).prefault({}),
});
export type ColourNoiseMixParams = z.output<typeof colourNoiseMixSchema>;

export function sampleColourNoiseMix(rng: Rng): ColourNoiseMixParams {
  const u = rng.uniform();
  const kind =
    u < MIX_WEIGHTS[0] ? 'camera-pipeline' : u < MIX_WEIGHTS[0] + MIX_WEIGHTS[1] ? 'gaussian' : 'clean';
  return colourNoiseMixSchema.parse({
    kind,
    ...(kind === 'camera-pipeline' ? { camera: sampleCameraPipelineNoise(rng, MIX_JPEG_PROBABILITY) } : {}),
    ...(kind === 'gaussian'
      ? { gaussian: { sigma: rng.uniform(MIX_GAUSSIAN_SIGMA[0], MIX_GAUSSIAN_SIGMA[1]), clip: true } }
      : {}),
  });
}

export function addColourNoiseMix(image: ImageTensor, params: ColourNoiseMixParams, rng: Rng): ImageTensor {
  checkImage(image, 'colour-noise-mix input');
  if (params.kind === 'camera-pipeline') return addCameraPipelineNoise(image, params.camera, rng);
  if (params.kind === 'gaussian') return addGaussianNoise(image, params.gaussian, rng);
  return makeImage(image.channels, image.height, image.width, image.data.slice());
}

export const colourNoiseMix: Degradation<ColourNoiseMixParams> = {
  name: 'colour-noise-mix',
  summary: `camera-pipeline noise (${MIX_WEIGHTS[0]}), Gaussian noise (${MIX_WEIGHTS[1]}) or none (${MIX_WEIGHTS[2]})`,
  channels: [1, 3],
  schema: colourNoiseMixSchema,
  sample: sampleColourNoiseMix,
  apply: addColourNoiseMix,
};
