/**
 * Denoise: DuRN-P for grey photos (trained on Gaussian noise, σ 30–70, grey BSD) and DuRN-P
 * without norm for colour photos (trained on real camera noise, PolyU, RGB). Both are native to
 * their channel count, so nothing is replicated.
 *
 * Tiling: DuRN-P is purely local (BatchNorm uses running statistics), receptive radius 70. A
 * 72-pixel overlap covers it, so tiled output equals whole-image output; 512-pixel tiles keep a
 * tile's activations around 32 MB per layer while wasting under half the work on context.
 */
import { defineTaskPlugin } from '../common.ts';

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
});
