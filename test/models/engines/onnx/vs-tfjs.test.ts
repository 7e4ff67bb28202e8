/**
 * ONNX against the tfjs engine (an independent interpreter of the same graph) on the same
 * weights, at sizes the fixtures do not cover: non-square, the smallest legal side, and sides
 * that are not multiples of 4 (legal for DuRN-P/S, refused by U/US/S-P with the size error).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxSession } from '../../../../src/models/engines/onnx/session.ts';
import { createTfjsSession } from '../../../../src/models/engines/tfjs/session.ts';
import type { InferenceSession } from '../../../../src/models/engines/types.ts';
import { NETWORK_IDS } from '../../../../src/models/graph/types.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import { initialWeights } from '../../../../src/models/weights/init.ts';
import { randomImage } from './random-weights.ts';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const id of NETWORK_IDS) {
  describe(`onnx vs tfjs: ${id}`, () => {
    const network = getNetwork(id);
    let onnx: InferenceSession;
    let tfjs: InferenceSession;
    beforeAll(async () => {
      const weights = initialWeights(network, 11);
      onnx = await createOnnxSession({ network, weights, threads: 2, device: 'cpu' });
      tfjs = await createTfjsSession({ network, weights, backend: 'wasm' });
    });
    afterAll(async () => {
      await onnx?.dispose();
      await tfjs?.dispose();
    });

    const m = network.sizeMultiple;
    const min = network.minSide;
    // Small sides keep the wasm runs fast; the large-context networks need their minimum anyway.
    const sizes: [number, number][] = [
      [48, 40],
      [min, min],
      [min + 2 * m, min],
    ];
    if (m === 1) sizes.push([min + 3, min + 5]);
    for (const [h, w] of sizes) {
      it(`agrees within 1e-4 at ${h}×${w}`, async () => {
        const img = randomImage(network.inChannels, h, w, h * 1000 + w);
        const [a, b] = [await onnx.run(img), await tfjs.run(img)];
        expect(maxAbsDiff(a.data, b.data)).toBeLessThanOrEqual(1e-4);
      });
    }
    if (m === 4) {
      it('refuses a side that is not a multiple of 4 with the size error', async () => {
        await expect(onnx.run(randomImage(3, min + 2, min))).rejects.toThrow(
          `Expected height and width that are multiples of 4 for ${id} but received ${min + 2}×${min}`,
        );
      });
    }
  });
}
