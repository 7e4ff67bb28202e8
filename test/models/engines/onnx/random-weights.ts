/** Seeded random weights for any network graph, for tests that need no checkpoint. */
import type { Graph } from '../../../../src/models/graph/types.ts';
import { mulberry32 } from '../../../../src/models/weights/init.ts';
import type { StateDict } from '../../../../src/models/weights/types.ts';

/** The seeded generator initial weights use (mulberry32). */
export const rng = mulberry32;

/**
 * Weights scaled like a trained network (He-style fan-in scaling), with BatchNorm statistics and
 * norm parameters away from identity so that folding and normalisation errors show.
 */
export function randomWeights(g: Graph, seed = 1): StateDict {
  const r = rng(seed);
  const sd: StateDict = new Map();
  for (const p of g.params) {
    if (p.dtype === 'int64') {
      sd.set(p.name, { shape: p.shape, dtype: 'int64', data: BigInt64Array.of(10n) });
      continue;
    }
    const n = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const fanIn = p.shape.length > 1 ? n / p.shape[0]! : 1;
    for (let i = 0; i < n; i++) {
      const u = r() * 2 - 1;
      switch (p.role) {
        case 'weight':
          data[i] = (u * Math.sqrt(3)) / Math.sqrt(fanIn);
          break;
        case 'bn.running_var':
          data[i] = 0.5 + r();
          break;
        case 'bn.weight':
        case 'in.scale':
          data[i] = 0.8 + 0.4 * r();
          break;
        default:
          data[i] = 0.1 * u;
      }
    }
    sd.set(p.name, { shape: p.shape, dtype: 'float32', data });
  }
  return sd;
}

export function randomImage(channels: number, height: number, width: number, seed = 7) {
  const r = rng(seed);
  const data = Float32Array.from({ length: channels * height * width }, () => r());
  return { data, channels, height, width };
}
