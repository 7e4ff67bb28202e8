/**
 * The synthetic degradations by training task. `degrade` draws parameters from the documented
 * training ranges and applies them: the trainer's data loader calls it with a per-sample RNG.
 */
import { DurnUserError, expected } from '../../../errors.ts';
import type { ImageTensor } from '../../engines/types.ts';
import type { Rng } from '../rng.ts';
import { cameraNoise } from './camera-noise.ts';
import { cameraPipelineNoise } from './camera-pipeline-noise.ts';
import { colourNoiseMix } from './colour-noise-mix.ts';
import { gaussianNoise } from './gaussian-noise.ts';
import { haze } from './haze.ts';
import { motionBlur } from './motion-blur.ts';
import { rainStreaks } from './rain-streaks.ts';
import { raindrops } from './raindrops.ts';
import type { Degradation } from './types.ts';

export { type CameraNoiseParams, cameraNoise } from './camera-noise.ts';
export { type CameraPipelineNoiseParams, cameraPipelineNoise } from './camera-pipeline-noise.ts';
export { type ColourNoiseMixParams, colourNoiseMix } from './colour-noise-mix.ts';
export { type GaussianNoiseParams, gaussianNoise } from './gaussian-noise.ts';
export { type HazeParams, haze } from './haze.ts';
export { type MotionBlurParams, motionBlur } from './motion-blur.ts';
export { type RainStreaksParams, rainStreaks } from './rain-streaks.ts';
export { type RaindropsParams, raindrops } from './raindrops.ts';
export { type Degradation, parseParams } from './types.ts';

export type DegradationTask = 'denoise-gray' | 'denoise-rgb' | 'deblur' | 'dehaze' | 'derain' | 'raindrop';

/** Which degradation synthesises training pairs for each task, and the channels it trains on. */
export const DEGRADATIONS: Readonly<
  Record<DegradationTask, { degradation: Degradation<unknown>; channels: 1 | 3 }>
> = {
  'denoise-gray': { degradation: gaussianNoise as Degradation<unknown>, channels: 1 },
  'denoise-rgb': { degradation: colourNoiseMix as Degradation<unknown>, channels: 3 },
  deblur: { degradation: motionBlur as Degradation<unknown>, channels: 3 },
  dehaze: { degradation: haze as Degradation<unknown>, channels: 3 },
  derain: { degradation: rainStreaks as Degradation<unknown>, channels: 3 },
  raindrop: { degradation: raindrops as Degradation<unknown>, channels: 3 },
};

/**
 * Every degradation by its own name, for evaluations that pick one other than their task's
 * training mix (e.g. the colour denoiser on camera-noise, its former training degradation).
 */
export const NAMED_DEGRADATIONS: Readonly<Record<string, Degradation<unknown>>> = Object.fromEntries(
  [
    cameraNoise,
    cameraPipelineNoise,
    colourNoiseMix,
    gaussianNoise,
    haze,
    motionBlur,
    rainStreaks,
    raindrops,
  ].map((d) => [d.name, d as Degradation<unknown>]),
);

/** The training degradation of a task, or a degradation by name (NAMED_DEGRADATIONS). */
export function degradationFor(key: DegradationTask | string): Degradation<unknown> {
  const d = Object.hasOwn(DEGRADATIONS, key)
    ? DEGRADATIONS[key as DegradationTask].degradation
    : Object.hasOwn(NAMED_DEGRADATIONS, key)
      ? NAMED_DEGRADATIONS[key]
      : undefined;
  if (d === undefined) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(
        `a training task (${Object.keys(DEGRADATIONS).join(', ')}) or a degradation (${Object.keys(NAMED_DEGRADATIONS).join(', ')})`,
        'degradation',
        key,
      ),
    );
  }
  return d;
}

/** A training input for `clean`: random parameters from the task's ranges, applied. */
export function degrade(
  task: DegradationTask,
  clean: ImageTensor,
  rng: Rng,
): { image: ImageTensor; params: unknown } {
  const d = degradationFor(task);
  const params = d.sample(rng);
  return { image: d.apply(clean, params, rng), params };
}
