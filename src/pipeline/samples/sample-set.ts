/**
 * The bundled sample set: one procedural scene, clean and degraded for each task with fixed seeds,
 * written as image files. Used by the README walkthrough and smoke tests, so it must be fast and
 * byte-for-byte reproducible.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { DurnUserError, expected } from '../../core/errors.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import { motionBlur } from '../../plugins/deblur/motion-blur.ts';
import { haze } from '../../plugins/dehaze/haze.ts';
import { cameraNoise } from '../../plugins/denoise/camera-noise.ts';
import { gaussianNoise } from '../../plugins/denoise/gaussian-noise.ts';
import { rainStreaks } from '../../plugins/derain/rain-streaks.ts';
import { raindrops } from '../../plugins/raindrop/raindrops.ts';
import { clamp01, toGray } from '../../training/image-math.ts';
import { createRng } from '../../training/rng.ts';
import { generateScene } from './scenes.ts';

export interface SampleFile {
  /** File name inside the output folder. */
  readonly file: string;
  /** The task whose network restores it, or 'clean' for references. */
  readonly task: 'clean' | 'denoise-gray' | 'denoise-rgb' | 'deblur' | 'dehaze' | 'derain' | 'raindrop';
  readonly description: string;
}

export interface SampleSetOptions {
  /** Scene width and height in px. Default 320×240. */
  readonly width?: number;
  readonly height?: number;
  readonly seed?: number;
}

/** Planar float CHW → interleaved 8-bit, rounded and clipped. */
export function toRaw8(image: ImageTensor): Buffer {
  const { channels, height, width, data } = image;
  const n = height * width;
  const out = Buffer.alloc(n * channels);
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) out[i * channels + c] = Math.round(clamp01(data[c * n + i]!) * 255);
  }
  return out;
}

async function write(image: ImageTensor, path: string): Promise<void> {
  const raw = { width: image.width, height: image.height, channels: image.channels as 1 | 3 };
  // sharp writes 3 channels unless told the image is grayscale.
  const s =
    image.channels === 1 ? sharp(toRaw8(image), { raw }).toColourspace('b-w') : sharp(toRaw8(image), { raw });
  await (path.endsWith('.jpg')
    ? s.jpeg({ quality: 92, mozjpeg: false })
    : s.png({ compressionLevel: 9 })
  ).toFile(path);
}

/**
 * Writes the clean scene (colour and gray) and one degraded version per task into `outDir`
 * (created if missing). Returns what it wrote, in order.
 */
export async function makeSampleSet(outDir: string, options: SampleSetOptions = {}): Promise<SampleFile[]> {
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const seed = options.seed ?? 2019;
  if (!Number.isInteger(seed))
    throw new DurnUserError('INVALID_OPTION', expected('an integer', 'sample seed', seed));
  const clean = generateScene({ width, height, seed });
  const gray = toGray(clean);
  const rng = (name: string) => createRng(seed).fork('samples', name);
  const jobs: [SampleFile, ImageTensor][] = [
    [{ file: 'clean.png', task: 'clean', description: 'the procedural scene' }, clean],
    [{ file: 'clean-gray.png', task: 'clean', description: 'the scene in grayscale' }, gray],
    [
      {
        file: 'noisy-gray.png',
        task: 'denoise-gray',
        description: 'Gaussian noise σ = 30 (clipped when saved)',
      },
      gaussianNoise.apply(gray, { sigma: 30, clip: true }, rng('noisy-gray')),
    ],
    [
      { file: 'noisy-color.png', task: 'denoise-rgb', description: 'phone-like Poisson–Gaussian noise' },
      cameraNoise.apply(
        clean,
        { shot: 0.006, read: 2e-4, channelGains: [2, 1, 1.7], correlation: 0.3, space: 'srgb', clip: true },
        rng('noisy-color'),
      ),
    ],
    [
      { file: 'blurred.png', task: 'deblur', description: 'camera-shake blur, 17 px trajectory' },
      motionBlur.apply(clean, { length: 17, anxiety: 0.005, exposure: 1, noiseSigma: 1 }, rng('blurred')),
    ],
    [
      { file: 'hazy.jpg', task: 'dehaze', description: 'haze β = 1.6, warm-gray airlight' },
      haze.apply(
        clean,
        { beta: 1.6, airlight: [0.9, 0.88, 0.85], verticalWeight: 0.6, nearDepth: 0.1, fieldScale: 0.5 },
        rng('hazy'),
      ),
    ],
    [
      { file: 'rainy.png', task: 'derain', description: 'two layers of rain streaks' },
      rainStreaks.apply(
        clean,
        {
          layers: [
            { density: 0.004, length: 24, width: 0.7, angle: 12, brightness: 0.55 },
            { density: 0.002, length: 36, width: 1.1, angle: 16, brightness: 0.35 },
          ],
          blend: 'screen',
        },
        rng('rainy'),
      ),
    ],
    [
      { file: 'raindrop.png', task: 'raindrop', description: 'raindrops on the lens, 20% coverage' },
      raindrops.apply(
        clean,
        {
          coverage: 0.2,
          minRadius: 0.03,
          maxRadius: 0.08,
          magnification: 2.5,
          dropBlur: 2,
          backgroundBlur: 1,
          edgeSoftness: 0.2,
          highlight: 0.4,
        },
        rng('raindrop'),
      ),
    ],
  ];
  await mkdir(outDir, { recursive: true });
  for (const [meta, image] of jobs) await write(image, join(outDir, meta.file));
  return jobs.map(([meta]) => meta);
}
