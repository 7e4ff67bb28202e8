/**
 * `npm run bench -- threads [--sizes 256,512,768,1024] [--net durn-p-nonorm]`: ONNX Runtime on the
 * CPU, one tile with every thread against one single-thread tile per core side by side (each run
 * in its own child, as bench/engines.ts does): the intra-op loss that tiling/choose.ts weighs
 * (INTRA_OP_LOSS) when it runs fewer, larger tiles with more threads each.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { NetworkId } from '../src/models/graph/types.ts';
import { getNetwork } from '../src/models/networks/index.ts';

const run = promisify(execFile);
const ENGINES = fileURLToPath(new URL('./engines.ts', import.meta.url));

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export default async function threads(args: string[]): Promise<void> {
  const net = (flag(args, '--net') ?? 'durn-p-nonorm') as NetworkId;
  const sizes = (flag(args, '--sizes') ?? '256,512,768,1024').split(',').map(Number);
  const cores = availableParallelism();
  const dir = mkdtempSync(join(tmpdir(), 'durn-bench-threads-'));
  writeFileSync(join(dir, `${net}.json`), JSON.stringify(getNetwork(net).graph));
  const child = async (threads: number, size: number) => {
    const c = { net, engine: 'onnx', threads, size, runs: 2 };
    const { stdout } = await run(process.execPath, [ENGINES, '--child', JSON.stringify(c)]);
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { seconds: number; rssMB: number };
  };
  try {
    console.log(`${net}, ${cores} cores; s/MP, min of 2 runs after a warm-up (compare within a row)`);
    for (const size of sizes) {
      const mp = (size * size) / 1e6;
      const one = await child(cores, size);
      const side = await Promise.all(Array.from({ length: cores }, () => child(1, size)));
      // `cores` tiles finish in the slowest one's time.
      const parallel = Math.max(...side.map((r) => r.seconds)) / cores / mp;
      const together = one.seconds / mp;
      console.log(
        `${String(size).padStart(5)}²  1 tile × ${cores} threads ${together.toFixed(2)}` +
          `  ${cores} tiles × 1 thread ${parallel.toFixed(2)}  loss ${((together / parallel - 1) * 100).toFixed(1)} %` +
          `  (RSS ${one.rssMB.toFixed(0)} / ${side[0]!.rssMB.toFixed(0)} MB a process)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
