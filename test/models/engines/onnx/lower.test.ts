/**
 * The lowering, op by op: a small hand-built graph using every IR op runs through ONNX Runtime
 * and is compared with a naive float64 interpreter of PyTorch's definitions.
 */
import { describe, expect, it } from 'vitest';
import {
  INPUT_NAME,
  lowerNetwork,
  lowerToOnnx,
  OUTPUT_NAME,
} from '../../../../src/models/engines/onnx/lower.ts';
import { loadOrt } from '../../../../src/models/engines/onnx/runtime.ts';
import { GraphBuilder } from '../../../../src/models/graph/builder.ts';
import type { Graph, NetworkDefinition } from '../../../../src/models/graph/types.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import type { StateDict } from '../../../../src/models/weights/types.ts';
import { randomImage, randomWeights } from './random-weights.ts';
import { runReference } from './reference.ts';

/** Every op of the IR, in the combinations the networks use (BN after a conv and after an add). */
function everyOpGraph(): Graph {
  const b = new GraphBuilder(3);
  const conv = (x: ReturnType<typeof b.relu>, name: string, o: Partial<Parameters<typeof b.conv2d>[1]>) =>
    b.conv2d(x, {
      outC: 8,
      kernel: 3,
      pad: 1,
      padMode: 'reflect',
      weightKey: `${name}.weight`,
      biasKey: `${name}.bias`,
      ...o,
    });
  const r = b.relu(b.batchNorm(conv(b.input, 'c1', {}), 'bn1'));
  const d = conv(r, 'c2', { dilation: 2, pad: 2, padMode: 'zero', biasKey: null });
  const s = b.instanceNorm(b.batchNorm(b.addValues(d, r), 'bn2'), 'in1');
  const down = b.relu(conv(s, 'c3', { stride: 2, padMode: 'zero' }));
  let w = b.relu(b.linear(b.globalAvgPool(down), { outF: 4, weightKey: 'fc1.weight', biasKey: 'fc1.bias' }));
  w = b.sigmoid(b.linear(w, { outF: 8, weightKey: 'fc2.weight', biasKey: 'fc2.bias' }));
  const att = b.scaleChannels(down, w);
  const ps = b.pixelShuffle(conv(att, 'c4', { outC: 32, kernel: 1, pad: 0 }));
  const t = b.convTranspose2d(att, {
    outC: 8,
    kernel: 4,
    stride: 2,
    padding: 1,
    weightKey: 'up.weight',
    biasKey: 'up.bias',
  });
  const up = b.avgPool(b.pad(t, 'reflect', { top: 1, bottom: 0, left: 1, right: 0 }), 2, 1);
  const y = b.tanh(
    conv(b.addValues(ps, up), 'c5', { outC: 3, pad: { top: 1, bottom: 1, left: 2, right: 0 } }),
  );
  return b.build(b.sub(b.input, y));
}

function asNetwork(graph: Graph): NetworkDefinition {
  return {
    id: 'durn-p',
    title: 'test graph',
    purpose: 'tests',
    graph,
    inChannels: graph.inChannels,
    outChannels: graph.outChannels,
    sizeMultiple: 2,
    minSide: 4,
    receptiveRadius: 0,
    globalStatistics: true,
    macsPerPixel: 0,
  };
}

async function runOnnx(bytes: Uint8Array, img: ReturnType<typeof randomImage>): Promise<Float32Array> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(bytes, {
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  try {
    const feed = new ort.Tensor('float32', img.data, [1, img.channels, img.height, img.width]);
    const out = await session.run({ [INPUT_NAME]: feed });
    return out[OUTPUT_NAME]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('lowerNetwork', () => {
  const graph = everyOpGraph();
  const net = asNetwork(graph);
  const weights = randomWeights(graph, 3);

  for (const [h, w] of [
    [12, 10],
    [8, 14],
  ] as const) {
    it(`matches a float64 reference of every op at ${h}×${w}, with each instance-norm and transposed-conv lowering`, async () => {
      const img = randomImage(3, h, w, h * w);
      const want = runReference(graph, weights, { c: 3, h, w, d: Float64Array.from(img.data) });
      for (const instanceNorm of ['native', 'decomposed'] as const) {
        for (const convTranspose of ['subpixel', 'native'] as const) {
          const got = await runOnnx(lowerToOnnx(net, weights, { instanceNorm, convTranspose }), img);
          expect(maxDiff(got, want.d)).toBeLessThan(2e-5);
        }
      }
    });
  }

  it('folds the BatchNorm that follows a conv alone, and lowers the other to Mul/Add', async () => {
    const { model, stats } = lowerNetwork(net, weights);
    expect(stats).toEqual({ foldedBatchNorms: 1, unfoldedBatchNorms: 1 });
    const ops = model.nodes.map((n) => n.op);
    expect(ops).not.toContain('BatchNormalization');
    const pads = model.nodes.filter((n) => n.op === 'Pad').map((n) => n.attributes?.mode);
    // c1, c4? no: c1 and c5 reflect-pad (c4 has no padding), plus the explicit pad node.
    expect(pads).toHaveLength(3);
    const zeroConv = model.nodes.find(
      (n) => n.name === graph.nodes.find((g) => g.op === 'conv2d' && g.dilation === 2)!.id,
    );
    expect(zeroConv?.attributes?.pads).toEqual({ kind: 'ints', value: [2, 2, 2, 2] });
    const d2s = model.nodes.find((n) => n.op === 'DepthToSpace');
    expect(d2s?.attributes?.mode).toEqual({ kind: 'string', value: 'CRD' });
    const unfolded = await runOnnx(lowerToOnnx(net, weights, { foldBatchNorm: false }), randomImage(3, 8, 8));
    const folded = await runOnnx(lowerToOnnx(net, weights), randomImage(3, 8, 8));
    expect(maxDiff(folded, unfolded)).toBeLessThan(1e-5);
  });

  it('lowers all six networks without network-specific code, with symbolic height and width', () => {
    for (const id of ['durn-p', 'durn-u', 'durn-s-p'] as const) {
      const network = getNetwork(id);
      const { model } = lowerNetwork(network, randomWeights(network.graph));
      expect(model.inputs[0]!.dims).toEqual(['N', network.inChannels, 'H', 'W']);
      expect(model.outputs[0]!.dims).toEqual(['N', network.outChannels, 'H', 'W']);
      const convs = network.graph.nodes.filter((n) => n.op === 'conv2d').length;
      const deconvs = network.graph.nodes.filter((n) => n.op === 'convTranspose2d').length;
      expect(model.nodes.filter((n) => n.op === 'Conv')).toHaveLength(convs);
      expect(model.nodes.filter((n) => n.op === 'ConvTranspose')).toHaveLength(deconvs);
    }
  });

  it('refuses weights that do not fit the graph, naming the tensor', () => {
    const bad: StateDict = new Map(weights);
    bad.set('c1.weight', { shape: [8, 3, 5, 5], dtype: 'float32', data: new Float32Array(8 * 3 * 25) });
    expect(() => lowerNetwork(net, bad)).toThrow(
      /Expected float32 \[8, 3, 3, 3\] for weight c1.weight but received float32 \[8, 3, 5, 5\]/,
    );
    const missing: StateDict = new Map(weights);
    missing.delete('fc2.bias');
    expect(() => lowerNetwork(net, missing)).toThrow(/a tensor named fc2.bias/);
  });
});
