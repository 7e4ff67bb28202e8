/**
 * `npm run bench -- engines [--quick] [--nets durn-p,durn-u]`: seconds per megapixel, GFLOP/s
 * and peak RSS of each network on onnx (1 and 2 threads), tfjs-wasm and, where PyTorch is
 * installed, PyTorch CPU (bench/torch_reference.py). Every configuration runs in its own child
 * process so that its peak RSS is its own.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forwardFlops } from '../src/models/graph/analysis.ts';
import { NETWORK_IDS, type NetworkId } from '../src/models/graph/types.ts';
import { getNetwork } from '../src/models/networks/index.ts';
import type { StateDict } from '../src/models/weights/types.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(process.env.DURN_SHARED ?? resolve(ROOT, '../shared'), 'fixtures/pytorch-reference');
const FIXTURE_OF: Record<NetworkId, string> = {
  'durn-p': 'durn_p',
  'durn-p-nonorm': 'durn_p_no_norm',
  'durn-u': 'durn_u',
  'durn-us': 'durn_us',
  'durn-s': 'durn_s',
  'durn-s-p': 'durn_s_p',
};

export interface Config {
  net: NetworkId;
  engine: 'onnx' | 'tfjs' | 'torch';
  threads: number;
  size: number;
  runs: number;
}

export interface Result extends Config {
  seconds: number | null;
  rssMB: number | null;
  note?: string;
}

/** Fixture weights when ../shared is there (the same ones PyTorch loads), else seeded initial weights. */
async function benchWeights(net: NetworkId): Promise<StateDict> {
  const path = join(FIXTURES, `${FIXTURE_OF[net]}.zip.pt`);
  if (existsSync(path)) {
    const { importCheckpoint } = await import('../src/models/weights/pytorch/import.ts');
    return (await importCheckpoint(path, net)).tensors;
  }
  const { initialWeights } = await import('../src/models/weights/init.ts');
  return initialWeights(getNetwork(net), 1);
}

/** Child side: open one session, warm it up, time `runs` runs; print one JSON line. */
async function child(c: Config): Promise<void> {
  const network = getNetwork(c.net);
  const weights = await benchWeights(c.net);
  let session: import('../src/models/engines/types.ts').InferenceSession;
  if (c.engine === 'onnx') {
    const { createOnnxSession } = await import('../src/models/engines/onnx/session.ts');
    session = await createOnnxSession({ network, weights, threads: c.threads, device: 'cpu' });
  } else {
    const { createTfjsSession } = await import('../src/models/engines/tfjs/session.ts');
    session = await createTfjsSession({ network, weights, backend: 'wasm' });
  }
  const image = (side: number) => ({
    data: Float32Array.from(
      { length: network.inChannels * side * side },
      (_, i) => ((i * 7919) % 1000) / 1000,
    ),
    channels: network.inChannels,
    height: side,
    width: side,
  });
  await session.run(image(Math.min(c.size, 256))); // warm-up (at 256 to keep 1024 runs affordable)
  const input = image(c.size);
  const times: number[] = [];
  for (let i = 0; i < c.runs; i++) {
    const t0 = performance.now();
    await session.run(input);
    times.push((performance.now() - t0) / 1000);
  }
  await session.dispose();
  const out = {
    seconds: Math.min(...times),
    rssMB: process.resourceUsage().maxRSS / 1024,
    note: session.description,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

export function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

export function runChild(c: Config, graphDir: string): Result {
  const [cmd, args] =
    c.engine === 'torch'
      ? [
          '/usr/bin/python3',
          [
            join(ROOT, 'bench/torch_reference.py'),
            join(graphDir, `${c.net}.json`),
            join(FIXTURES, `${FIXTURE_OF[c.net]}.zip.pt`),
            String(c.threads),
            String(c.size),
            String(c.runs),
          ],
        ]
      : [process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(c)]];
  try {
    const stdout = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const line = stdout.trim().split('\n').at(-1)!;
    return { ...c, ...(JSON.parse(line) as Pick<Result, 'seconds' | 'rssMB' | 'note'>) };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    return { ...c, seconds: null, rssMB: null, note: `failed: ${stderr.trim().split('\n').at(-1)}` };
  }
}

const fmt = (v: number | null, digits = 1) => (v === null ? 'n/a' : v.toFixed(digits));

export default async function engines(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const netsArg = args[args.indexOf('--nets') + 1];
  const nets = args.includes('--nets') && netsArg ? (netsArg.split(',') as NetworkId[]) : [...NETWORK_IDS];
  const hasTfjs = existsSync(join(ROOT, 'src/models/engines/tfjs/session.ts'));
  const hasTorch = torchAvailable() && existsSync(FIXTURES);
  const graphDir = mkdtempSync(join(tmpdir(), 'durn-bench-'));
  const results: Result[] = [];
  const runs = quick ? 1 : 2;
  console.log(
    `engines benchmark (${quick ? 'quick: 256×256' : '256×256 and 1024×1024 (onnx only)'}), min of ${runs} timed run(s) after a warm-up`,
  );
  if (!hasTfjs) console.log('tfjs: src/models/engines/tfjs/session.ts not present; skipped');
  if (!hasTorch)
    console.log('PyTorch comparator: /usr/bin/python3 with torch or the fixtures not found; skipped');
  console.log('tfjs-wasm at 1024×1024 is skipped: single-threaded wasm needs minutes per image there.');
  try {
    for (const net of nets) {
      const graph = getNetwork(net).graph;
      writeFileSync(join(graphDir, `${net}.json`), JSON.stringify(graph));
      const configs: Config[] = [
        { net, engine: 'onnx', threads: 1, size: 256, runs },
        { net, engine: 'onnx', threads: 2, size: 256, runs },
      ];
      if (hasTfjs) configs.push({ net, engine: 'tfjs', threads: 1, size: 256, runs: 1 });
      if (hasTorch) {
        configs.push({ net, engine: 'torch', threads: 1, size: 256, runs });
        configs.push({ net, engine: 'torch', threads: 2, size: 256, runs });
      }
      if (!quick) {
        configs.push({ net, engine: 'onnx', threads: 1, size: 1024, runs: 1 });
        configs.push({ net, engine: 'onnx', threads: 2, size: 1024, runs: 1 });
      }
      for (const c of configs) {
        const r = runChild(c, graphDir);
        results.push(r);
        const mp = (c.size * c.size) / 1e6;
        const sPerMP = r.seconds === null ? null : r.seconds / mp;
        const gflops = r.seconds === null ? null : forwardFlops(graph, c.size, c.size) / r.seconds / 1e9;
        console.log(
          [
            net.padEnd(14),
            c.engine.padEnd(6),
            `${c.threads}t`,
            `${c.size}`.padStart(5),
            `${fmt(sPerMP)} s/MP`.padStart(12),
            `${fmt(gflops)} GFLOP/s`.padStart(15),
            `${fmt(r.rssMB, 0)} MB`.padStart(9),
            r.note ?? '',
          ].join('  '),
        );
      }
    }
  } finally {
    rmSync(graphDir, { recursive: true, force: true });
  }
  summarise(results, nets);
}

function summarise(results: Result[], nets: NetworkId[]): void {
  const s = (net: NetworkId, engine: Config['engine'], threads: number, size = 256) =>
    results.find((r) => r.net === net && r.engine === engine && r.threads === threads && r.size === size)
      ?.seconds ?? null;
  const ratio = (a: number | null, b: number | null) =>
    a === null || b === null ? 'n/a' : `${(a / b).toFixed(2)}×`;
  console.log('\nratios at 256×256 (higher is better for onnx):');
  console.log(
    'network          2t/1t onnx   tfjs-wasm/onnx-1t   torch/onnx 1t   torch/onnx 2t   2t/1t at 1024',
  );
  for (const net of nets) {
    console.log(
      [
        net.padEnd(15),
        ratio(s(net, 'onnx', 1), s(net, 'onnx', 2)).padStart(11),
        ratio(s(net, 'tfjs', 1), s(net, 'onnx', 1)).padStart(19),
        ratio(s(net, 'torch', 1), s(net, 'onnx', 1)).padStart(15),
        ratio(s(net, 'torch', 2), s(net, 'onnx', 2)).padStart(15),
        ratio(s(net, 'onnx', 1, 1024), s(net, 'onnx', 2, 1024)).padStart(15),
      ].join(' '),
    );
  }
}

if (process.argv[2] === '--child' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await child(JSON.parse(process.argv[3]!) as Config);
}
