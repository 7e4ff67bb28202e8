/**
 * Denoise: DuRN-P for grey photos (trained on Gaussian noise, σ 30–70, grey BSD) and DuRN-P
 * without norm for colour photos (trained on real camera noise, PolyU, RGB). Both are native to
 * their channel count, so nothing is replicated.
 *
 * Tiling: DuRN-P is purely local (BatchNorm uses running statistics), receptive radius 70. A
 * 72-pixel overlap covers it, so tiled output equals whole-image output; 512-pixel tiles keep a
 * tile's activations around 32 MB per layer while wasting under half the work on context.
 */
import { gaussianBaseline, medianBaseline } from '../../training/baselines.ts';
import type { Degradation } from '../../training/degradations/types.ts';
import { defineTaskPlugin, degradationsOf } from '../common.ts';
import { cameraNoise } from './camera-noise.ts';
import { cameraPipelineNoise } from './camera-pipeline-noise.ts';
import { colourNoiseMix } from './colour-noise-mix.ts';
import { gaussianNoise } from './gaussian-noise.ts';

const local = {
  tile: 512,
  overlap: 72,
  note: 'local network (radius 70): overlap 72 makes tiled output equal whole-image output',
};

export const plugin = defineTaskPlugin({
  id: 'denoise',
  title: 'Denoise',
  description: 'Remove noise: Gaussian-like noise on grey photos, real camera noise on colour photos.',
  order: 1,
  network: { grey: 'durn-p', colour: 'durn-p-nonorm' },
  defaultWeights: {
    'durn-p': 'denoise-gray.durn-p.safetensors',
    'durn-p-nonorm': 'denoise-rgb.durn-p-nonorm.safetensors',
  },
  channels: { grey: 'native', note: 'grey photos use the grey DuRN-P, colour photos the RGB one' },
  tiling: { 'durn-p': local, 'durn-p-nonorm': local },
  training: {
    // Authors: batch 100, crop 64, lr 1e-3, ×0.1 at 500/1000/1500/2500 of 3000 epochs, L2.
    'durn-p': {
      name: 'denoise-gray',
      degradation: gaussianNoise as Degradation<unknown>,
      colorSpace: 'gray',
      sigmas: [30, 50, 70],
      baselines: [medianBaseline, gaussianBaseline],
      evalAllImages: true,
      loss: 'l2',
      lr: 1e-3,
      patch: 64,
      batch: 8,
      schedule: { kind: 'step', milestones: [1 / 6, 1 / 3, 1 / 2, 5 / 6], gamma: 0.1 },
      margin: 0,
      valPatch: 128,
    },
    // Authors: batch 30, crop 128, lr 1e-4, ×0.1 at 1000/2000 of 3500.
    'durn-p-nonorm': {
      // Trained on camera-pipeline noise, Gaussian noise and clean photos (colour-noise-mix.ts);
      // measured on camera-pipeline noise and, to compare with weights trained before it, on the
      // sRGB Poisson–Gaussian camera-noise that was its training degradation until issue 17.
      name: 'denoise-rgb',
      degradation: colourNoiseMix as Degradation<unknown>,
      evaluations: [
        { id: 'denoise-camera', degradation: cameraPipelineNoise as Degradation<unknown> },
        { id: 'denoise-rgb', degradation: cameraNoise as Degradation<unknown> },
      ],
      colorSpace: 'rgb',
      baselines: [medianBaseline, gaussianBaseline],
      loss: 'ssim-l1',
      lr: 1e-4,
      patch: 96,
      batch: 4,
      schedule: { kind: 'step', milestones: [2 / 7, 4 / 7], gamma: 0.1 },
      margin: 0,
      valPatch: 128,
    },
  },
});

export const degradations = degradationsOf(plugin);
