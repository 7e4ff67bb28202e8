/**
 * DuRN-P (Gaussian noise), DuRN-P without norm (real noise) and DuRN-S (rain streaks): one
 * skeleton at full resolution. Head: two ConvR(3); six DuRBs; tail: two ConvR(3), tanh, + input.
 */
import { GraphBuilder } from '../graph/builder.ts';
import type { Graph } from '../graph/types.ts';
import { convR, durbP, type Norm, norm } from './blocks.ts';

/** (k1, k2, d) of the six blocks, shared by DuRN-P and DuRN-S. */
export const PLAIN_BLOCKS: readonly [number, number, number][] = [
  [5, 3, 1],
  [7, 5, 1],
  [7, 5, 2],
  [11, 7, 2],
  [11, 5, 1],
  [11, 7, 3],
];

export function plainDurn(o: {
  channels: number;
  width: number;
  norm: Norm;
  se?: { hidden: number };
}): Graph {
  const b = new GraphBuilder(o.channels);
  const layer = (i: number, v: ReturnType<typeof convR>) => b.relu(norm(b, o.norm, `norm${i}`, v));
  let x = layer(1, convR(b, 'conv1', b.input, o.width, 3));
  x = layer(2, convR(b, 'conv2', x, o.width, 3));
  let res = x;
  PLAIN_BLOCKS.forEach(([k1, k2, d], i) => {
    [x, res] = durbP(b, `block${i + 1}`, x, res, { k1, k2, d, norm: o.norm, ...(o.se ? { se: o.se } : {}) });
  });
  x = layer(3, convR(b, 'conv3', x, o.width, 3));
  x = b.tanh(convR(b, 'conv4', x, o.channels, 3));
  return b.build(b.addValues(x, b.input));
}
