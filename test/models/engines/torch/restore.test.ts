/**
 * `restore()` on the torch engine (CPU): the pool's workers each hold a torch process, and the
 * restored photo matches the ONNX engine's after 8-bit quantisation (≤ 1/255).
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { restore } from '../../../../src/api.ts';
import { PROJECT_ROOT } from '../../../helpers/shared.ts';
import { describeTorch } from '../../../helpers/torch.ts';

describeTorch('restore on the torch engine', () => {
  it('denoises a sample like the onnx engine (≤ 1/255 after quantisation)', async () => {
    const input = join(PROJECT_ROOT, 'samples/noisy-color.png');
    const weights = { denoise: join(PROJECT_ROOT, 'weights/denoise-rgb.durn-p-nonorm.safetensors') };
    const notices: string[] = [];
    const opts = {
      task: 'denoise' as const,
      weights,
      workers: 1,
      device: 'cpu' as const,
      onNotice: (m: string) => notices.push(m),
    };
    const torch = (await restore(input, { ...opts, engine: 'torch' })) as Buffer;
    const onnx = (await restore(input, { ...opts, engine: 'onnx' })) as Buffer;
    const a = await sharp(torch).raw().toBuffer();
    const b = await sharp(onnx).raw().toBuffer();
    expect(a.length).toBe(b.length);
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
    expect(max).toBeLessThanOrEqual(1);
  }, 180_000);
});
