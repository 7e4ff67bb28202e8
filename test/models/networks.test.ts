import { describe, expect, it } from 'vitest';
import { inferShapes, macsPerPixel, receptiveRadius } from '../../src/models/graph/analysis.ts';
import { NETWORK_IDS } from '../../src/models/graph/types.ts';
import { getNetwork } from '../../src/models/networks/index.ts';

// Figures of the reference doc (durn-architectures.md): multiply-adds per pixel, parameters.
const DOC: Record<string, { macs: number; macsDigits: number; paramsM: number }> = {
  'durn-p': { macs: 813_632, macsDigits: 6, paramsM: 0.82 },
  'durn-p-nonorm': { macs: 813_632, macsDigits: 2, paramsM: 0.82 },
  'durn-u': { macs: 1.36e6, macsDigits: 3, paramsM: 12.9 },
  'durn-us': { macs: 1.68e6, macsDigits: 3, paramsM: 9.1 },
  'durn-s': { macs: 3.7e6, macsDigits: 3, paramsM: 3.7 },
  'durn-s-p': { macs: 0.71e6, macsDigits: 2, paramsM: 10.2 },
};

const round = (v: number, digits: number) => Number(v.toPrecision(digits));

describe('network definitions', () => {
  for (const id of NETWORK_IDS) {
    describe(id, () => {
      const net = getNetwork(id);
      it('declares the multiply-adds per pixel of its graph, matching the reference doc', () => {
        expect(macsPerPixel(net.graph)).toBeCloseTo(net.macsPerPixel, 0);
        const doc = DOC[id]!;
        expect(round(net.macsPerPixel, doc.macsDigits)).toBe(round(doc.macs, doc.macsDigits));
      });
      it('has the parameter count of the reference doc', () => {
        const trainable = net.graph.params
          .filter((p) => p.trainable)
          .reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
        expect(trainable / 1e6).toBeCloseTo(DOC[id]!.paramsM, 1);
      });
      it('declares the receptive radius of its graph', () => {
        expect(receptiveRadius(net.graph)).toBe(net.receptiveRadius);
      });
      it('keeps the input size at legal sizes and rejects illegal ones', () => {
        const m = net.sizeMultiple;
        for (const [h, w] of [
          [48, 40],
          [64 + 4 * m, 36],
          [net.minSide, net.minSide + m],
        ] as const) {
          const out = inferShapes(net.graph, h, w).get(net.graph.output)!;
          expect(out).toEqual({ c: net.outChannels, h, w });
        }
        if (m > 1) expect(() => inferShapes(net.graph, 50, 42)).toThrow(/Expected/);
        expect(() => inferShapes(net.graph, net.minSide - m, net.minSide)).toThrow(/Expected a larger input/);
      });
      it('declares every parameter once, with unique node ids', () => {
        const names = net.graph.params.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        const ids = net.graph.nodes.map((n) => n.id);
        expect(new Set(ids).size).toBe(ids.length);
      });
    });
  }
  it('knows which networks pool or normalise over the whole image', () => {
    const global = NETWORK_IDS.filter((id) => getNetwork(id).globalStatistics);
    expect(global).toEqual(['durn-u', 'durn-us', 'durn-s', 'durn-s-p']);
  });
  it('rejects an unknown id with the list of known ones', () => {
    expect(() => getNetwork('durn-x')).toThrow(
      /Expected one of durn-p, .* for the network id but received "durn-x"/,
    );
  });
});
