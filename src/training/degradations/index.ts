/**
 * The synthetic degradations by training task. `degrade` draws parameters from the documented
 * training ranges and applies them: the trainer's data loader calls it with a per-sample RNG.
 */
import { DurnUserError, expected } from '../../core/errors.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import { motionBlur } from '../../plugins/deblur/motion-blur.ts';
import { haze } from '../../plugins/dehaze/haze.ts';
import { cameraNoise } from '../../plugins/denoise/camera-noise.ts';
import { gaussianNoise } from '../../plugins/denoise/gaussian-noise.ts';
import { rainStreaks } from '../../plugins/derain/rain-streaks.ts';
import { raindrops } from '../../plugins/raindrop/raindrops.ts';
import type { Rng } from '../rng.ts';
import type { Degradation } from './types.ts';

export { type MotionBlurParams, motionBlur } from '../../plugins/deblur/motion-blur.ts';
export { type HazeParams, haze } from '../../plugins/dehaze/haze.ts';
export { type CameraNoiseParams, cameraNoise } from '../../plugins/denoise/camera-noise.ts';
export { type GaussianNoiseParams, gaussianNoise } from '../../plugins/denoise/gaussian-noise.ts';
export { type RainStreaksParams, rainStreaks } from '../../plugins/derain/rain-streaks.ts';
export { type RaindropsParams, raindrops } from '../../plugins/raindrop/raindrops.ts';
export { type Degradation, parseParams } from './types.ts';

export type DegradationTask = 'denoise-gray' | 'denoise-rgb' | 'deblur' | 'dehaze' | 'derain' | 'raindrop';

/** Which degradation synthesises training pairs for each task, and the channels it trains on. */
export const DEGRADATIONS: Readonly<
  Record<DegradationTask, { degradation: Degradation<unknown>; channels: 1 | 3 }>
> = {
  'denoise-gray': { degradation: gaussianNoise as Degradation<unknown>, channels: 1 },
  'denoise-rgb': { degradation: cameraNoise as Degradation<unknown>, channels: 3 },
  deblur: { degradation: motionBlur as Degradation<unknown>, channels: 3 },
  dehaze: { degradation: haze as Degradation<unknown>, channels: 3 },
  derain: { degradation: rainStreaks as Degradation<unknown>, channels: 3 },
  raindrop: { degradation: raindrops as Degradation<unknown>, channels: 3 },
};

export function degradationFor(task: DegradationTask): Degradation<unknown> {
  const entry = DEGRADATIONS[task];
  if (entry === undefined) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(Object.keys(DEGRADATIONS).join(', '), 'training task', task),
    );
  }
  return entry.degradation;
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
