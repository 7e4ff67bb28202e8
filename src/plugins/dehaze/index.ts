/**
 * Dehaze: DuRN-US (haze, trained on RESIDE indoor). RGB only; grey photos are replicated to three
 * channels and the result averaged back.
 *
 * Tiling: haze is a whole-scene effect and every DuRB-US block has an SE module (global average
 * pooling), so tiles should be as large as memory allows: 1024. Its convolutional radius (334) is
 * not affordable as overlap (a 1024 tile would own only 356 pixels), so the overlap is 128,
 * feathered over 128 pixels; the network's effective receptive field is far smaller than 334.
 */
import type { Degradation } from '../../training/degradations/types.ts';
import { defineTaskPlugin, degradationsOf } from '../common.ts';
import { darkChannelBaseline } from './dark-channel.ts';
import { haze } from './haze.ts';

export const plugin = defineTaskPlugin({
  id: 'dehaze',
  title: 'Dehaze',
  description: 'Remove haze and fog, restoring contrast and colour.',
  order: 3,
  network: { grey: 'durn-us', colour: 'durn-us' },
  defaultWeights: { 'durn-us': 'dehaze.durn-us.safetensors' },
  channels: { grey: 'replicated', note: 'RGB network: grey photos are replicated to RGB and averaged back' },
  tiling: {
    'durn-us': {
      tile: 1024,
      overlap: 128,
      note: 'SE global pooling: large tiles; radius 334 is unaffordable, so overlap 128, feathered',
    },
  },
  training: {
    // Authors: batch 40, crop 256, lr 1e-4, ×0.1 at 700/1400 of 3000.
    'durn-us': {
      name: 'dehaze',
      degradation: haze as Degradation<unknown>,
      colorSpace: 'rgb',
      baselines: [darkChannelBaseline],
      loss: 'ssim-l1',
      lr: 1e-4,
      patch: 128,
      batch: 4,
      schedule: { kind: 'step', milestones: [7 / 30, 14 / 30], gamma: 0.1 },
      margin: 0,
      valPatch: 128,
    },
  },
});

export const degradations = degradationsOf(plugin);
