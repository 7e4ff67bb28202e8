/**
 * Deblur: DuRN-U (motion blur, trained on GoPro). RGB only; grey photos are replicated to three
 * channels and the result averaged back.
 *
 * Tiling: DuRN-U uses instance norm, i.e. per-channel mean and variance over the whole input, so
 * each tile normalises with its own statistics. Large tiles (1024) keep those close to the
 * whole-image ones (the authors evaluate whole 1280×720 GoPro frames); the 112-pixel overlap
 * covers the convolutional radius of 104, and the overlap is feathered to hide what remains.
 */
import type { Degradation } from '../../training/degradations/types.ts';
import { defineTaskPlugin, degradationsOf } from '../common.ts';
import { motionBlur } from './motion-blur.ts';

export const plugin = defineTaskPlugin({
  id: 'deblur',
  title: 'Deblur',
  description: 'Remove motion blur (camera shake, moving subjects).',
  order: 2,
  network: { grey: 'durn-u', colour: 'durn-u' },
  defaultWeights: { 'durn-u': 'deblur.durn-u.safetensors' },
  channels: { grey: 'replicated', note: 'RGB network: grey photos are replicated to RGB and averaged back' },
  tiling: {
    'durn-u': {
      tile: 1024,
      overlap: 112,
      note: 'instance norm (global statistics): large tiles keep them near whole-image; overlap ≥ radius 104',
    },
  },
  training: {
    // Authors: batch 10, crop 256, lr 1e-4, ×0.1 at 2000/4000 of 5000.
    'durn-u': {
      name: 'deblur',
      degradation: motionBlur as Degradation<unknown>,
      colorSpace: 'rgb',
      loss: 'ssim-l1',
      lr: 1e-4,
      patch: 128,
      batch: 4,
      schedule: { kind: 'step', milestones: [0.4, 0.8], gamma: 0.1 },
      margin: 16,
      valPatch: 128,
    },
  },
});

export const degradations = degradationsOf(plugin);
