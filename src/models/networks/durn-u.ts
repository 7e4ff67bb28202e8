/**
 * DuRN-U (motion blur) and DuRN-US (haze): an encoder to quarter resolution, DuRBs whose paired
 * operations go up and down in resolution, and a PixelShuffle decoder; tanh, + input.
 */
import { GraphBuilder } from '../graph/builder.ts';
import type { Graph } from '../graph/types.ts';
import { conv, convRZ, durbUp, norm } from './blocks.ts';

/** (f, d) of DuRN-U's six DuRB-U. */
export const DURN_U_BLOCKS: readonly [number, number][] = [
  [3, 3],
  [7, 1],
  [3, 3],
  [7, 1],
  [3, 2],
  [5, 1],
];

/** f of DuRN-US's twelve DuRB-US (d = 1). */
export const DURN_US_BLOCKS: readonly number[] = [5, 5, 7, 7, 11, 11, 11, 11, 11, 11, 11, 11];

export function durnU(variant: 'U' | 'US'): Graph {
  const n = variant === 'U' ? 'in' : 'none';
  const w = variant === 'U' ? [64, 128, 256] : [64, 64, 64];
  const b = new GraphBuilder(3);
  const act = (name: string, v: ReturnType<typeof conv>) => b.relu(norm(b, n, name, v));
  let x = act('norm1', conv(b, 'conv1', b.input, w[0]!, 7, 1, 3));
  x = act('norm2', conv(b, 'conv2', x, w[1]!, 3, 2, 1));
  let res = x;
  x = act('norm3', conv(b, 'conv3', x, w[2]!, 3, 2, 1));
  const blocks: [number, number][] = variant === 'U' ? [...DURN_U_BLOCKS] : DURN_US_BLOCKS.map((f) => [f, 1]);
  blocks.forEach(([f, d], i) => {
    [x, res] = durbUp(b, `rud${i + 1}`, x, res, { f, d, variant });
  });
  // Decoder: U uses 1×1 convs before each PixelShuffle, US 3×3; both end in ConvRZ(3) + ReLU.
  const k = variant === 'U' ? 1 : 3;
  const mid = variant === 'U' ? 128 : 64;
  x = b.pixelShuffle(norm(b, n, 'upnorm1', convRZ(b, 'upconv1', x, 4 * mid, k)));
  x = act('norm4', convRZ(b, 'conv4', x, x.channels, 3));
  x = b.pixelShuffle(norm(b, n, 'upnorm2', convRZ(b, 'upconv2', x, 4 * w[0]!, k)));
  x = act('norm5', convRZ(b, 'conv5', x, w[0]!, 3));
  x = b.tanh(conv(b, 'end_conv', x, 3, 7, 1, 3));
  return b.build(b.addValues(x, b.input));
}
