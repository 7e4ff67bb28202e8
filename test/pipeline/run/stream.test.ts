/**
 * The streamed restore (rows leave the stitcher band by band, postprocessed per band, as
 * restoreFile encodes them) gives the same pixels as the whole-result restore.
 */
import { expect, it } from 'vitest';
import type { ImageTensor } from '../../../src/models/engines/types.ts';
import { restoreTensor, restoreTensorTo } from '../../../src/pipeline/run/restore-tensor.ts';
import { generateScene } from '../../../src/pipeline/samples/scenes.ts';
import { getPlugin } from '../../../src/plugins/registry.ts';
import { scratchPoolForFile } from '../../helpers/pool.ts';

const s = scratchPoolForFile('denoise', 'durn-p-nonorm');

it('streams the same rows, top to bottom, as the whole-result restore', async () => {
  const image = generateScene({ width: 120, height: 230, seed: 4 });
  const steps = [
    { plugin: getPlugin('denoise'), options: { strength: 0.5 }, weights: { 'durn-p-nonorm': s.weights } },
  ];
  const ctx = { pool: s.pool, file: 'x.png', emit: () => {}, tiling: { tile: 80, overlap: 16 } };
  const whole = await restoreTensor(image, steps, ctx);
  const streamed: ImageTensor = { ...whole, data: new Float32Array(whole.data.length) };
  const starts: number[] = [];
  await restoreTensorTo(image, steps, ctx, (rows, y) => {
    starts.push(y);
    expect(rows.width).toBe(image.width);
    const plane = image.width * image.height;
    for (let c = 0; c < rows.channels; c++) {
      streamed.data.set(
        rows.data.subarray(c * rows.width * rows.height, (c + 1) * rows.width * rows.height),
        c * plane + y * image.width,
      );
    }
  });
  expect(starts.length).toBeGreaterThan(2);
  expect(starts).toEqual([...starts].sort((a, b) => a - b));
  let max = 0;
  for (let i = 0; i < whole.data.length; i++)
    max = Math.max(max, Math.abs(whole.data[i]! - streamed.data[i]!));
  expect(max).toBeLessThan(1e-6);
});
