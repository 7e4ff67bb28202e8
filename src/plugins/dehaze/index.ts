/**
 * Dehaze: DuRN-US (haze, trained on RESIDE indoor). RGB only; grey photos are replicated to three
 * channels and the result averaged back.
 *
 * Tiling: haze is a whole-scene effect and every DuRB-US block has an SE module (global average
 * pooling), so tiles should be as large as memory allows: 1024. Its convolutional radius (334) is
 * not affordable as overlap (a 1024 tile would own only 356 pixels), so the overlap is 128,
 * feathered over 128 pixels; the network's effective receptive field is far smaller than 334.
 */
import { defineTaskPlugin } from '../common.ts';

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
});
