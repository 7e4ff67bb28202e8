/**
 * The torch engine on a CUDA GPU (skipped with a reason where PyTorch sees none): forward against
 * the PyTorch fixtures with TF32 (fp32) and bf16 autocast, and device selection.
 */
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createSession } from '../../../../src/models/engines/index.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import { readNpy } from '../../../../src/models/weights/npy.ts';
import { importCheckpoint } from '../../../../src/models/weights/pytorch/import.ts';
import { FIXTURES, hasShared } from '../../../helpers/shared.ts';
import { describeCuda } from '../../../helpers/torch.ts';

describeCuda('torch engine on CUDA', () => {
  for (const [precision, tolerance] of [
    ['fp32', 1e-2], // TF32 convolutions: ~1e-3 relative
    ['bf16', 1e-1],
  ] as const) {
    it.skipIf(!hasShared)(`durn_p on cuda ${precision}: max abs error ≤ ${tolerance}`, async () => {
      const network = getNetwork('durn-p');
      const { tensors } = await importCheckpoint(join(FIXTURES, 'durn_p.zip.pt'), 'durn-p');
      const input = await readNpy(join(FIXTURES, 'durn_p.input.npy'));
      const want = await readNpy(join(FIXTURES, 'durn_p.output.npy'));
      const s = await createSession({
        network,
        weights: tensors,
        engine: 'torch',
        device: 'cuda',
        precision,
      });
      try {
        expect(s.description).toContain('cuda:0');
        const [, c, h, w] = input.shape as [number, number, number, number];
        const got = await s.run({ data: input.data, channels: c, height: h, width: w });
        let err = 0;
        for (let i = 0; i < got.data.length; i++) err = Math.max(err, Math.abs(got.data[i]! - want.data[i]!));
        expect(err).toBeLessThanOrEqual(tolerance);
      } finally {
        await s.dispose();
      }
    });
  }
});
