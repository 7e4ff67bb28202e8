/**
 * DuRN-S-P (raindrops): an encoder to quarter resolution, three DuRB-S (attention), then six
 * DuRB-P on a fresh `res`, and a transposed-conv decoder. The output is input − tanh(...).
 */
import { GraphBuilder } from '../graph/builder.ts';
import type { Graph, Value } from '../graph/types.ts';
import { conv, convR, convRZ, durbP } from './blocks.ts';

/** up_conv dilations of the three DuRB-S. */
export const SP_ATTENTION_DILATIONS: readonly number[] = [12, 8, 6];
/** (f, d) of the six DuRB-P. */
export const SP_BLOCKS: readonly [number, number][] = [
  [3, 2],
  [5, 1],
  [3, 3],
  [7, 1],
  [3, 4],
  [7, 1],
];

export function durnSP(): Graph {
  const b = new GraphBuilder(3);
  const bnRelu = (i: number, v: Value) => b.relu(b.batchNorm(v, `norm${i}.norm`));
  let x = bnRelu(1, conv(b, 'conv1', b.input, 64, 5, 1, 1)); // shrinks each side by 1
  x = bnRelu(2, conv(b, 'conv2', x, 128, 3, 2, 1));
  x = bnRelu(3, conv(b, 'conv3', x, 128, 3, 2, 1));
  let res = x;
  SP_ATTENTION_DILATIONS.forEach((d, i) => {
    [x, res] = durbP(b, `rud${i + 1}`, x, res, {
      k1: 3,
      k2: 3,
      d,
      norm: 'bn',
      convFn: convRZ,
      se: { hidden: 64 },
    });
  });
  res = x; // the attention stage's res is dropped
  SP_BLOCKS.forEach(([f, d], i) => {
    [x, res] = durbP(b, `rud${i + 4}`, x, res, { k1: f, k2: 5, d, norm: 'bn', convFn: convRZ });
  });
  // ConvTranspose(k4, s2, p1), then pad left/top by one and a 2×2 stride-1 average: same size as 2×.
  const up = (name: string, v: Value, outC: number) => {
    const t = b.convTranspose2d(v, {
      outC,
      kernel: 4,
      stride: 2,
      padding: 1,
      weightKey: `${name}.0.weight`,
      biasKey: `${name}.0.bias`,
    });
    return b.relu(b.avgPool(b.pad(t, 'reflect', { top: 1, bottom: 0, left: 1, right: 0 }), 2, 1));
  };
  x = up('deconv1', x, 128);
  x = bnRelu(4, convRZ(b, 'conv4', x, 128, 3));
  x = up('deconv2', x, 64);
  x = b.tanh(convR(b, 'end_conv', x, 3, 5));
  b.unusedKey('prelu.weight');
  return b.build(b.sub(b.input, x));
}
