/**
 * subpixel.py's transposed convolution (the torch engine's CPU path) against PyTorch's own
 * F.conv_transpose2d, in float64: outputs and all three gradients (input, weight, bias) over
 * kernels 1–5, strides 1–3, paddings 0–2 and odd sizes, plus DuRN-S-P's deconv1/deconv2 shapes.
 */
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { SCRIPT as ENGINE_SCRIPT } from '../../../../src/models/engines/torch/process.ts';
import { describeTorch, TORCH } from '../../../helpers/torch.ts';

const SCRIPT = `
import itertools, json, sys, torch, torch.nn.functional as F
sys.path.insert(0, sys.argv[1])
from subpixel import conv_transpose2d
torch.manual_seed(0)
cases = [c for c in itertools.product([1, 2, 3, 4, 5], [1, 2, 3], [0, 1, 2], [1, 3, 6], [2, 5], [3], [4])
         if c[2] < c[0] and (c[3] - 1) * c[1] - 2 * c[2] + c[0] > 0 and (c[4] - 1) * c[1] - 2 * c[2] + c[0] > 0]
cases += [(4, 2, 1, 16, 16, 128, 64), (4, 2, 1, 8, 12, 128, 128)]  # DuRN-S-P deconv1 / deconv2
worst, shapes_ok = 0.0, True
for k, s, p, h, w, cin, cout in cases:
    x = torch.randn(2, cin, h, w, dtype=torch.float64, requires_grad=True)
    wt = torch.randn(cin, cout, k, k, dtype=torch.float64, requires_grad=True)
    b = torch.randn(cout, dtype=torch.float64, requires_grad=True)
    ref, got = F.conv_transpose2d(x, wt, b, s, p), conv_transpose2d(x, wt, b, s, p)
    shapes_ok &= got.shape == ref.shape
    g = torch.randn_like(ref)
    want = torch.autograd.grad((ref * g).sum(), [x, wt, b])
    have = torch.autograd.grad((got * g).sum(), [x, wt, b])
    errs = [(got - ref).abs().max()] + [(u - v).abs().max() for u, v in zip(have, want)]
    worst = max(worst, max(e.item() for e in errs))
print(json.dumps({"cases": len(cases), "worst": worst, "shapes": bool(shapes_ok)}))
`;

describeTorch('torch engine: transposed convolution in sub-pixel form (CPU path)', () => {
  it('equals F.conv_transpose2d, forward and gradients, to float64 rounding', async () => {
    const { stdout } = await promisify(execFile)(TORCH!.python, ['-c', SCRIPT, dirname(ENGINE_SCRIPT)]);
    const r = JSON.parse(stdout) as { cases: number; worst: number; shapes: boolean };
    console.log(`subpixel: ${r.cases} cases, worst abs difference ${r.worst.toExponential(2)}`);
    expect(r.cases).toBeGreaterThan(100);
    expect(r.shapes).toBe(true);
    expect(r.worst).toBeLessThan(1e-9);
  }, 120_000);
});
