/**
 * Rain-streak removal: DuRN-S (falling rain, trained on DID-MDN). RGB only; grey photos are
 * replicated to three channels and the result averaged back.
 *
 * Tiling: every block has an SE module (global pooling), so tiles are large; DuRN-S is the
 * heaviest network per pixel (64 channels at full resolution, about 270 MB per activation at
 * 1024²), so 768 is the compromise. Overlap 96 covers its radius of 82.
 */
import { defineTaskPlugin } from '../common.ts';

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
});
