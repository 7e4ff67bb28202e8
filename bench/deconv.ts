/**
 * The torch engine's transposed convolution on the CPU: PyTorch's own F.conv_transpose2d against
 * subpixel.py's form (one oneDNN convolution and a pixel shuffle), forward + backward at
 * DuRN-S-P's two upsampling layers, same process, best of N. The ratio is why the engine lowers it.
 *
 *   npm run bench -- deconv [--batch 2] [--patch 256] [--threads 2] [--runs 3]
 */
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { SCRIPT as ENGINE_SCRIPT } from '../src/models/engines/torch/process.ts';
import { findTorch } from '../src/models/engines/torch/python.ts';

const SCRIPT = `
import json, sys, time, torch, torch.nn.functional as F
sys.path.insert(0, sys.argv[1])
from subpixel import conv_transpose2d
batch, patch, threads, runs = map(int, sys.argv[2:6])
torch.set_num_threads(threads)
torch.manual_seed(0)
rows = []
for name, cin, cout, side in [("deconv2 128→128", 128, 128, patch // 4), ("deconv1 128→64", 128, 64, patch // 2)]:
    x = torch.randn(batch, cin, side, side, requires_grad=True)
    w = (torch.randn(cin, cout, 4, 4) * 0.05).requires_grad_()
    b = torch.zeros(cout, requires_grad=True)
    row = {"layer": name, "input": f"{batch}×{cin}×{side}²"}
    for label, f in [("native", F.conv_transpose2d), ("subpixel", conv_transpose2d)]:
        best = float("inf")
        for _ in range(runs + 1):
            t = time.perf_counter()
            f(x, w, b, 2, 1).square().mean().backward()
            best = min(best, time.perf_counter() - t)
        row[label] = best
    rows.append(row)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "rows": rows}))
`;

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export default async function main(args: string[]): Promise<void> {
  const torch = await findTorch();
  const dir = dirname(ENGINE_SCRIPT);
  const params = [
    arg(args, '--batch', 2),
    arg(args, '--patch', 256),
    arg(args, '--threads', 2),
    arg(args, '--runs', 3),
  ];
  const out = execFileSync(torch.python, ['-c', SCRIPT, dir, ...params.map(String)], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
    torch: string;
    threads: number;
    rows: { layer: string; input: string; native: number; subpixel: number }[];
  };
  console.log(
    `torch ${r.torch} on the CPU, ${r.threads} threads; forward + backward, best of ${params[3]}\n`,
  );
  console.log(
    '| layer | input | F.conv_transpose2d s | sub-pixel s | ratio |\n| --- | --- | --- | --- | --- |',
  );
  for (const x of r.rows) {
    console.log(
      `| ${x.layer} | ${x.input} | ${x.native.toFixed(3)} | ${x.subpixel.toFixed(3)} | ${(x.native / x.subpixel).toFixed(1)}× |`,
    );
  }
}
