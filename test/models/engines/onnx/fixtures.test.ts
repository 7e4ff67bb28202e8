/**
 * ONNX output against the authors' PyTorch implementation: the reference fixtures (seeded random
 * weights, one forward pass) must agree within 1e-4 for all six networks, with each alternative
 * lowering (instance norm, transposed convolution).
 */
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createOnnxSession } from '../../../../src/models/engines/onnx/session.ts';
import type { InferenceSession } from '../../../../src/models/engines/types.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import { readNpy } from '../../../../src/models/weights/npy.ts';
import { importCheckpoint } from '../../../../src/models/weights/pytorch/import.ts';
import { describeShared, FIXTURE_ARCH, FIXTURES } from '../../../helpers/shared.ts';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describeShared('onnx engine vs the PyTorch reference fixtures', () => {
  const open: InferenceSession[] = [];
  afterAll(async () => {
    await Promise.all(open.map((s) => s.dispose()));
  });

  for (const [name, arch] of Object.entries(FIXTURE_ARCH)) {
    // Each alternative lowering once, on the network that has the op.
    const variants =
      arch === 'durn-u'
        ? [{ instanceNorm: 'native' as const }, { instanceNorm: 'decomposed' as const }]
        : arch === 'durn-s-p'
          ? [{ convTranspose: 'subpixel' as const }, { convTranspose: 'native' as const }]
          : [{}];
    for (const lowering of variants) {
      it(`${name} → ${arch}${variants.length > 1 ? ` ${JSON.stringify(lowering)}` : ''}: max abs error ≤ 1e-4`, async () => {
        const network = getNetwork(arch);
        const { tensors } = await importCheckpoint(join(FIXTURES, `${name}.zip.pt`), arch);
        const input = await readNpy(join(FIXTURES, `${name}.input.npy`));
        const want = await readNpy(join(FIXTURES, `${name}.output.npy`));
        const session = await createOnnxSession({
          network,
          weights: tensors,
          threads: 2,
          device: 'cpu',
          lowering,
        });
        open.push(session);
        const [, c, h, w] = input.shape as [number, number, number, number];
        const got = await session.run({ data: input.data, channels: c, height: h, width: w });
        expect([got.channels, got.height, got.width]).toEqual(want.shape.slice(1));
        const err = maxAbsDiff(got.data, want.data);
        expect(err).toBeLessThanOrEqual(1e-4);
      });
    }
  }
});
