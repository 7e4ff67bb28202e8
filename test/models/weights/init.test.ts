/** Initial weights: PyTorch's default init, and the identity start the trainer uses from scratch. */
import { describe, expect, test } from 'vitest';
import { createSession } from '../../../src/models/engines/index.ts';
import type { ImageTensor } from '../../../src/models/engines/types.ts';
import { NETWORK_IDS } from '../../../src/models/graph/types.ts';
import { getNetwork } from '../../../src/models/networks/index.ts';
import { initialWeights, mulberry32, outputConv } from '../../../src/models/weights/init.ts';

function randomImage(channels: number, side: number): ImageTensor {
  const rand = mulberry32(7);
  const data = Float32Array.from({ length: channels * side * side }, () => rand());
  return { channels, height: side, width: side, data };
}

describe('initialWeights', () => {
  test.each(NETWORK_IDS)('%s with identity: true returns its input exactly', async (id) => {
    const network = getNetwork(id);
    const sd = initialWeights(network, 3, { identity: true });
    const last = outputConv(network);
    expect(sd.get(last.weight)?.data.every((v) => v === 0)).toBe(true);
    const input = randomImage(network.inChannels, 32);
    const session = await createSession({ network, weights: sd, engine: 'tfjs' });
    try {
      const out = await session.run(input);
      expect(Array.from(out.data)).toEqual(Array.from(input.data));
    } finally {
      await session.dispose();
    }
    // Without it, the untrained network changes the photo.
    const random = initialWeights(network, 3);
    expect(random.get(last.weight)?.data.some((v) => v !== 0)).toBe(true);
  });

  test('is deterministic per seed', () => {
    const network = getNetwork('durn-p');
    const first = (seed: number) =>
      initialWeights(network, seed).get('conv1.conv2d.weight')!.data as Float32Array;
    const [a, b, c] = [first(1), first(1), first(2)];
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
});
