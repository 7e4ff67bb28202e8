/**
 * Raindrop removal: DuRN-S-P (raindrops on a window or lens, trained on the RainDrop data set).
 * RGB only; grey photos are replicated to three channels and the result averaged back.
 *
 * Tiling: the attention blocks use SE global pooling, and drops are large structures, so tiles
 * are large (1024; the authors evaluate whole 720×480 frames). Radius 346 is not affordable as
 * overlap; 128 pixels, feathered, hides the remaining tile-to-tile differences.
 */
import type { Degradation } from '../../training/degradations/types.ts';
import { defineTaskPlugin, degradationsOf } from '../common.ts';
import { raindrops } from './raindrops.ts';

export const plugin = defineTaskPlugin({
  id: 'raindrop',
  title: 'Raindrop removal',
  description: 'Remove raindrops stuck on a window or lens in front of the camera.',
  order: 4,
  network: { grey: 'durn-s-p', colour: 'durn-s-p' },
  defaultWeights: { 'durn-s-p': 'raindrop.durn-s-p.safetensors' },
  channels: { grey: 'replicated', note: 'RGB network: grey photos are replicated to RGB and averaged back' },
  tiling: {
    'durn-s-p': {
      tile: 1024,
      overlap: 128,
      note: 'SE global pooling: large tiles; radius 346 is unaffordable, so overlap 128, feathered',
    },
  },
  training: {
    // Authors: batch 24, crop 256, lr 1e-4, ×0.5 at 2000 of 4000. S-P's tail (deconv → ReLU, no
    // norm) dies under the first full-size Adam steps from the identity start: warm up. Drops keep
    // their size on the photo (a 64-px patch shrank them to 1–6 px; the eval's are 6–32 px).
    'durn-s-p': {
      name: 'raindrop',
      degradation: raindrops as Degradation<unknown>,
      colorSpace: 'y',
      loss: 'ssim-l1',
      lr: 1e-4,
      patch: 128,
      batch: 4,
      schedule: { kind: 'step', milestones: [0.5], gamma: 0.5 },
      margin: 0,
      valPatch: 128,
      warmup: 0.05,
      degradationOptions: { referenceSide: 'photo' },
    },
  },
});

export const degradations = degradationsOf(plugin);
