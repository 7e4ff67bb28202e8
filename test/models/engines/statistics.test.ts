/**
 * Collected and frozen statistics (graph/statistics.ts) on both engines: statistics collected from
 * an image and fed back on the same image reproduce the ordinary run; ONNX and tfjs collect the
 * same statistics; and frozen statistics really replace the input's own (a crop run with the
 * whole image's statistics differs from the crop run alone).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOnnxSession } from '../../../src/models/engines/onnx/session.ts';
import { createTfjsSession } from '../../../src/models/engines/tfjs/session.ts';
import { createTorchSession } from '../../../src/models/engines/torch/session.ts';
import type { ImageTensor, InferenceSession } from '../../../src/models/engines/types.ts';
import {
  type GraphStatistics,
  statisticChannels,
  statisticNodes,
} from '../../../src/models/graph/statistics.ts';
import type { NetworkId } from '../../../src/models/graph/types.ts';
import { getNetwork } from '../../../src/models/networks/index.ts';
import { initialWeights } from '../../../src/models/weights/init.ts';
import { generateScene } from '../../../src/pipeline/samples/scenes.ts';
import { cropTile } from '../../../src/pipeline/tiling/tensor.ts';
import { describeTorch } from '../../helpers/torch.ts';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Two engines' statistics agree per node, relative to each one's scale. */
function expectSameStatistics(a: GraphStatistics, b: GraphStatistics): void {
  for (const key of Object.keys(a)) {
    const scale = Math.max(1e-3, ...Array.from(a[key]!.mean, Math.abs));
    expect(maxAbsDiff(a[key]!.mean, b[key]!.mean) / scale, key).toBeLessThan(1e-3);
    if (a[key]!.variance) {
      const v = Math.max(1e-6, ...Array.from(a[key]!.variance!));
      expect(maxAbsDiff(a[key]!.variance!, b[key]!.variance!) / v, key).toBeLessThan(1e-3);
    }
  }
}

const CASES: NetworkId[] = ['durn-u', 'durn-us'];

for (const id of CASES) {
  describe(`statistics of ${id}`, () => {
    const network = getNetwork(id);
    let onnx: InferenceSession;
    let tfjs: InferenceSession;
    const image = generateScene({ width: 96, height: 80, seed: 5 });
    beforeAll(async () => {
      const weights = initialWeights(network, 3);
      // Random SE gates sit near sigmoid(0) whatever they pool; steeper ones make pooling matter.
      for (const [name, t] of weights) {
        if (name.includes('.se.fc.') && t.data instanceof Float32Array)
          for (let i = 0; i < t.data.length; i++) t.data[i]! *= 30;
      }
      onnx = await createOnnxSession({ network, weights, threads: 2, device: 'cpu' });
      tfjs = await createTfjsSession({ network, weights, backend: 'wasm' });
    });
    afterAll(async () => {
      await onnx?.dispose();
      await tfjs?.dispose();
    });

    it('collects one entry per statistic node, with the node’s channels', async () => {
      const stats = await onnx.collectStatistics(image);
      const nodes = statisticNodes(network.graph);
      expect(nodes.length).toBeGreaterThan(0);
      expect(Object.keys(stats).sort()).toEqual(nodes.map((n) => n.id).sort());
      for (const n of nodes) {
        const c = statisticChannels(network.graph, n);
        expect(stats[n.id]!.mean.length).toBe(c);
        if (n.op === 'instanceNorm') expect(stats[n.id]!.variance!.length).toBe(c);
      }
    });

    it('onnx: frozen statistics of the same image reproduce the ordinary run', async () => {
      const stats = await onnx.collectStatistics(image);
      const [plain, frozen] = [await onnx.run(image), await onnx.run(image, { statistics: stats })];
      expect(maxAbsDiff(plain.data, frozen.data)).toBeLessThan(1e-4);
    });

    it('tfjs collects the statistics onnx collects, and freezes them alike', async () => {
      const [a, b] = [await onnx.collectStatistics(image), await tfjs.collectStatistics(image)];
      expectSameStatistics(a, b);
      const [plain, frozen] = [await tfjs.run(image), await tfjs.run(image, { statistics: a })];
      expect(maxAbsDiff(plain.data, frozen.data)).toBeLessThan(1e-3);
      expect(maxAbsDiff(frozen.data, (await onnx.run(image, { statistics: a })).data)).toBeLessThan(1e-3);
    });

    it('a crop run with the whole image’s statistics differs from the crop run alone', async () => {
      const stats = await onnx.collectStatistics(image);
      const crop: ImageTensor = cropTile(image, { x: 16, y: 16, width: 64, height: 48 });
      const [own, frozen] = [await onnx.run(crop), await onnx.run(crop, { statistics: stats })];
      expect(maxAbsDiff(own.data, frozen.data)).toBeGreaterThan(1e-5);
    });
  });
}

describeTorch('statistics on the torch engine', () => {
  for (const id of CASES) {
    it(`${id}: collects what onnx collects, and freezes them alike`, async () => {
      const network = getNetwork(id);
      const weights = initialWeights(network, 3);
      for (const [name, t] of weights) {
        if (name.includes('.se.fc.') && t.data instanceof Float32Array)
          for (let i = 0; i < t.data.length; i++) t.data[i]! *= 30;
      }
      const image = generateScene({ width: 96, height: 80, seed: 5 });
      const onnx = await createOnnxSession({ network, weights, threads: 1, device: 'cpu' });
      const torch = await createTorchSession({ network, weights, threads: 1, device: 'cpu' });
      try {
        const [a, b] = [await onnx.collectStatistics(image), await torch.collectStatistics(image)];
        expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
        expectSameStatistics(a, b);
        const [plain, frozen] = [await torch.run(image), await torch.run(image, { statistics: a })];
        expect(maxAbsDiff(plain.data, frozen.data)).toBeLessThan(1e-3);
        const crop: ImageTensor = cropTile(image, { x: 16, y: 16, width: 64, height: 48 });
        const [t, o] = [await torch.run(crop, { statistics: a }), await onnx.run(crop, { statistics: a })];
        expect(maxAbsDiff(t.data, o.data)).toBeLessThan(1e-3);
        expect(maxAbsDiff(t.data, (await torch.run(crop)).data)).toBeGreaterThan(1e-5);
      } finally {
        await torch.dispose();
        await onnx.dispose();
      }
    }, 120_000);
  }
});

describe('a network without statistic nodes', () => {
  it('collects nothing and runs alike with empty statistics', async () => {
    const network = getNetwork('durn-p-nonorm');
    const onnx = await createOnnxSession({
      network,
      weights: initialWeights(network, 3),
      threads: 2,
      device: 'cpu',
    });
    try {
      const image = generateScene({ width: 48, height: 40, seed: 2 });
      expect(await onnx.collectStatistics(image)).toEqual({});
      const [a, b] = [await onnx.run(image), await onnx.run(image, { statistics: {} })];
      expect(maxAbsDiff(a.data, b.data)).toBe(0);
    } finally {
      await onnx.dispose();
    }
  });
});
