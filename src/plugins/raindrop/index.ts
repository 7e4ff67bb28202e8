/**
 * Raindrop removal: DuRN-S-P (raindrops on a window or lens, trained on the RainDrop data set).
 * RGB only; grey photos are replicated to three channels and the result averaged back.
 *
 * Tiling: the attention blocks use SE global pooling, and drops are large structures, so tiles
 * are large (1024; the authors evaluate whole 720×480 frames). Radius 346 is not affordable as
 * overlap; 128 pixels, feathered, hides the remaining tile-to-tile differences.
 */
import { defineTaskPlugin } from '../common.ts';

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
});
