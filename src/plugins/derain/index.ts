/**
 * Rain-streak removal: DuRN-S (falling rain, trained on DID-MDN). RGB only; grey photos are
 * replicated to three channels and the result averaged back.
 *
 * Tiling: every block has an SE module (global pooling), so tiles are large; DuRN-S is the
 * heaviest network per pixel (64 channels at full resolution, about 270 MB per activation at
 * 1024²), so 768 is the compromise. Overlap 96 covers its radius of 82.
 */
import type { Degradation } from '../../training/degradations/types.ts';
import { defineTaskPlugin, degradationsOf } from '../common.ts';
import { rainStreaks } from './rain-streaks.ts';

export const plugin = defineTaskPlugin({
  id: 'derain',
  title: 'Rain-streak removal',
  description: 'Remove streaks of falling rain.',
  order: 5,
  network: { grey: 'durn-s', colour: 'durn-s' },
  defaultWeights: { 'durn-s': 'derain.durn-s.safetensors' },
  channels: { grey: 'replicated', note: 'RGB network: grey photos are replicated to RGB and averaged back' },
  tiling: {
    'durn-s': {
      tile: 768,
      overlap: 96,
      note: 'SE global pooling: large tiles within memory (64 channels at full resolution); overlap ≥ radius 82',
    },
  },
  training: {
    // Authors: batch 40, crop 64, lr 1e-4, cosine annealing.
    'durn-s': {
      name: 'derain',
      degradation: rainStreaks as Degradation<unknown>,
      colorSpace: 'y',
      loss: 'ssim-l1',
      lr: 1e-4,
      patch: 64,
      batch: 4,
      schedule: { kind: 'cosine', minFactor: 0 },
      margin: 0,
      valPatch: 128,
    },
  },
});

export const degradations = degradationsOf(plugin);
