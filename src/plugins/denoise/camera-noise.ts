/**
 * Realistic camera noise: the heteroscedastic Poisson–Gaussian sensor model (Foi et al. 2008),
 * variance = a·x + b in linear light, as in Brooks et al. 2019 ("Unprocessing images"). The image is
 * decoded from sRGB to linear, noise is added, and it is re-encoded.
 *
 * Per-channel gains model white balance applied after the sensor: a raw channel with noise
 * var = a·r + b, multiplied by gain g, has var = g·a·x + g²·b in terms of the balanced value x.
 * Typical gains (Brooks et al.): red 1.9–2.4, blue 1.5–1.9 relative to green, so red and blue are
 * noisier. Channel correlation models demosaicing, which mixes neighbouring photosites' noise
 * across channels.
 *
 * With no correlation, shot noise is drawn exactly (scaled Poisson); with correlation, the
 * Gaussian approximation N(0, a·x + b) is used so the channels can share a common deviate.
 */
import { z } from 'zod';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Degradation } from '../../training/degradations/types.ts';
import { checkImage, clamp01, linearToSrgb, makeImage, srgbToLinear } from '../../training/image-math.ts';
import type { Rng } from '../../training/rng.ts';

/** Shot-noise gain a, log-uniform: 1e-4 (DSLR, base ISO) to 0.012 (phone, high ISO). */
export const SHOT_RANGE = [1e-4, 0.012] as const;

export const cameraNoiseSchema = z.object({
  /** Shot (signal-dependent) variance per unit linear intensity, a. Default 0.004. */
  shot: z.number().min(0).max(0.1).default(0.004),
  /** Read (signal-independent) variance in linear units², b. Default 1e-4. */
  read: z.number().min(0).max(0.01).default(1e-4),
  /** White-balance gains per channel [R, G, B] scaling a by g and b by g². Default [1, 1, 1]. */
  channelGains: z
    .tuple([z.number().min(0.25).max(4), z.number().min(0.25).max(4), z.number().min(0.25).max(4)])
    .default([1, 1, 1]),
  /** Correlation coefficient of the noise between channels, 0–0.95. Default 0. */
  correlation: z.number().min(0).max(0.95).default(0),
  /** 'srgb' decodes to linear light first; 'linear' when the image is already linear. */
  space: z.enum(['srgb', 'linear']).default('srgb'),
  /** Clip to [0, 1] like a sensor's saturation and an 8-bit file. Default true. */
  clip: z.boolean().default(true),
});
export type CameraNoiseParams = z.output<typeof cameraNoiseSchema>;

/**
 * Brooks et al.'s joint distribution: log a uniform over SHOT_RANGE, log b = 2.18·log a + 1.2 +
 * N(0, 0.26), fitted to real sensors; gains from their white-balance ranges; mild correlation.
 */
export function sampleCameraNoise(rng: Rng): CameraNoiseParams {
  const shot = rng.logUniform(SHOT_RANGE[0], SHOT_RANGE[1]);
  const read = Math.min(0.01, Math.exp(2.18 * Math.log(shot) + 1.2 + rng.normal(0, 0.26)));
  const red = rng.uniform(1.9, 2.4);
  const blue = rng.uniform(1.5, 1.9);
  // Relative to green (the shot level a is defined for the green channel).
  return {
    shot,
    read,
    channelGains: [red, 1, blue],
    correlation: rng.bernoulli(0.5) ? 0 : rng.uniform(0, 0.6),
    space: 'srgb',
    clip: true,
  };
}

export function addCameraNoise(image: ImageTensor, params: CameraNoiseParams, rng: Rng): ImageTensor {
  checkImage(image, 'camera-noise input');
  const { channels, height, width } = image;
  // No noise: the clean image exactly (the sRGB round trip below is not bit-exact).
  if (params.shot === 0 && params.read === 0)
    return makeImage(channels, height, width, Float32Array.from(image.data));
  const n = height * width;
  const src = image.data;
  const lin = new Float32Array(src.length);
  const srgb = params.space === 'srgb';
  for (let i = 0; i < src.length; i++) lin[i] = srgb ? srgbToLinear(src[i]!) : src[i]!;

  // A gray image is treated as the green channel.
  const gains = channels === 3 ? params.channelGains : [params.channelGains[1]];
  const rho = channels === 3 ? params.correlation : 0;
  const own = Math.sqrt(1 - rho);
  const shared = Math.sqrt(rho);
  const out = new Float32Array(src.length);
  const common = new Float64Array(n);
  if (rho > 0) for (let i = 0; i < n; i++) common[i] = rng.normal();

  for (let c = 0; c < channels; c++) {
    const g = gains[c]!;
    const a = g * params.shot;
    const readSd = g * Math.sqrt(params.read);
    const off = c * n;
    for (let i = 0; i < n; i++) {
      const x = lin[off + i]!;
      let y: number;
      if (rho > 0) {
        const sd = Math.sqrt(Math.max(0, a * Math.max(x, 0) + readSd * readSd));
        y = x + sd * (own * rng.normal() + shared * common[i]!);
      } else {
        // Photon counts in units of a: Poisson(x/a)·a has mean x and variance a·x.
        const shotPart = a > 0 ? a * rng.poisson(Math.max(x, 0) / a) : Math.max(x, 0);
        y = shotPart + Math.min(x, 0) + readSd * rng.normal();
      }
      if (params.clip) y = clamp01(y);
      out[off + i] = srgb ? linearToSrgb(y) : y;
    }
  }
  return makeImage(channels, height, width, out);
}

export const cameraNoise: Degradation<CameraNoiseParams> = {
  name: 'camera-noise',
  summary: 'signal-dependent Poisson–Gaussian sensor noise in linear light with white-balance gains',
  channels: [1, 3],
  schema: cameraNoiseSchema,
  sample: sampleCameraNoise,
  apply: addCameraNoise,
};
