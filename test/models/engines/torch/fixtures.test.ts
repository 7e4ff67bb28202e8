/**
 * The torch engine against the authors' PyTorch implementation: the reference fixtures (seeded
 * random weights, one forward pass) must agree within 1e-4 for all six networks, on the CPU.
 */
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createTorchSession } from '../../../../src/models/engines/torch/session.ts';
import type { InferenceSession } from '../../../../src/models/engines/types.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import { readNpy } from '../../../../src/models/weights/npy.ts';
import { importCheckpoint } from '../../../../src/models/weights/pytorch/import.ts';
import { FIXTURE_ARCH, FIXTURES, hasShared } from '../../../helpers/shared.ts';
import { describeTorch } from '../../../helpers/torch.ts';

describeTorch('torch engine vs the PyTorch reference fixtures', () => {
  const open: InferenceSession[] = [];
  afterAll(async () => {
    await Promise.all(open.map((s) => s.dispose()));
  });
  for (const [name, arch] of Object.entries(FIXTURE_ARCH)) {
    it.skipIf(!hasShared)(
      `${name} → ${arch}: max abs error ≤ 1e-4${hasShared ? '' : ' [skipped: ../shared not found]'}`,
      async () => {
        const network = getNetwork(arch);
        const { tensors } = await importCheckpoint(join(FIXTURES, `${name}.zip.pt`), arch);
        const input = await readNpy(join(FIXTURES, `${name}.input.npy`));
        const want = await readNpy(join(FIXTURES, `${name}.output.npy`));
        const session = await createTorchSession({ network, weights: tensors, threads: 2, device: 'cpu' });
        open.push(session);
        expect(session.description).toMatch(/^torch .* cpu/);
        const [, c, h, w] = input.shape as [number, number, number, number];
        const got = await session.run({ data: input.data, channels: c, height: h, width: w });
        expect([got.channels, got.height, got.width]).toEqual(want.shape.slice(1));
        let err = 0;
        for (let i = 0; i < got.data.length; i++) err = Math.max(err, Math.abs(got.data[i]! - want.data[i]!));
        console.log(`torch ${arch}: max abs error ${err.toExponential(2)}`);
        expect(err).toBeLessThanOrEqual(1e-4);
      },
    );
  }
});
