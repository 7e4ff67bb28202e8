/**
 * Training throughput per engine: patches per second and GFLOP/s (3 × forward FLOPs per patch:
 * forward, input gradients, weight gradients) per network and patch size, tfjs-wasm (worker
 * threads on all cores) against torch on the CPU (all cores), same batch. Both run the trainer's
 * own engines (data synthesis in worker threads, clip, Adam, EMA), so the torch figure includes
 * the streaming of batches to Python.
 *
 *   npm run bench -- train [--quick] [--networks durn-p,durn-s] [--patches 64,128] [--steps N]
 *                          [--batch B] [--engines tfjs,torch] [--device cpu|cuda] [--precision fp32,bf16]
 */
import { availableParallelism, cpus } from 'node:os';
import { forwardFlops } from '../src/models/graph/analysis.ts';
import { NETWORK_IDS, type NetworkId } from '../src/models/graph/types.ts';
import { getNetwork } from '../src/models/networks/index.ts';
import { initialWeights } from '../src/models/weights/init.ts';
import { pluginModule } from '../src/plugins/registry.ts';
import { allRecipes, NETWORK_DEFAULTS } from '../src/plugins/training.ts';
import type { TrainConfig } from '../src/training/config.ts';
import type { BatchSpec } from '../src/training/data/batches.ts';
import type { ImageSet, TrainingImages } from '../src/training/data/images.ts';
import { type EngineStart, TfjsTrainEngine, type TrainEngine } from '../src/training/engine.ts';
import { initTrainingBackend, Replica } from '../src/training/replica.ts';
import { TorchTrainEngine } from '../src/training/torch-engine.ts';

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Four 320×320 procedural photos (smooth shading, edges, texture), decoded-cache format. */
function syntheticImages(channels: 1 | 3): TrainingImages {
  const side = 320;
  const per = side * side * channels;
  const pixels = new SharedArrayBuffer(per * 4);
  const view = new Uint8Array(pixels);
  const images = [];
  for (let k = 0; k < 4; k++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        for (let c = 0; c < channels; c++) {
          const v =
            128 +
            60 * Math.sin((x + 17 * k) / (9 + c)) * Math.cos(y / 13) +
            (x > y ? 40 : -40) +
            ((x * y + k) % 7) * 3;
          view[k * per + (y * side + x) * channels + c] = Math.max(0, Math.min(255, Math.round(v)));
        }
      }
    }
    images.push({ name: `synthetic-${k}`, width: side, height: side, offset: k * per });
  }
  const clean: ImageSet = { folder: '(synthetic)', channels, images, pixels };
  return { clean, degraded: null };
}

interface Run {
  readonly engine: 'tfjs' | 'torch';
  readonly device: string;
  readonly precision: 'fp32' | 'bf16';
}

async function measure(
  network: NetworkId,
  run: Run,
  patch: number,
  batch: number,
  steps: number,
): Promise<{ pps: number; wait: number | null; description: string }> {
  const def = getNetwork(network);
  const d = NETWORK_DEFAULTS[network]!;
  const host = new Replica(def, initialWeights(def, 0), d.loss);
  const all = availableParallelism();
  const spec: BatchSpec = {
    seed: 0,
    batch,
    patch,
    margin: d.margin,
    channels: def.inChannels as 1 | 3,
    degradation: d.degradation,
    degradationOptions: {},
  };
  const config = {
    network,
    loss: d.loss,
    steps: steps + 1,
    workers: Math.min(all, batch),
    ema: 0.999,
    clip: null,
  } as unknown as TrainConfig;
  const start: EngineStart = {
    config,
    def,
    degradationModule: pluginModule(allRecipes().find((r) => r.network === network)!.plugin.id),
    layout: host.layout,
    host,
    images: syntheticImages(spec.channels),
    spec,
  };
  const engine: TrainEngine =
    run.engine === 'torch'
      ? await TorchTrainEngine.start(start, { device: run.device, precision: run.precision })
      : await TfjsTrainEngine.start(start, 'wasm', 'wasm');
  try {
    const params = new Float32Array(host.layout.trainableSize);
    const buffers = new Float32Array(host.layout.bufferSize);
    host.read(params, buffers);
    const zeros = new Float32Array(host.layout.trainableSize);
    await engine.load({ params, buffers, adamM: zeros, adamV: zeros, adamT: 0, ema: null });
    await engine.step(0, d.lr); // warm-up: wasm compilation / torch allocator, cudnn autotune
    const t0 = performance.now();
    for (let k = 1; k <= steps; k++) await engine.step(k, d.lr);
    const pps = (steps * batch) / ((performance.now() - t0) / 1000);
    return { pps, wait: engine.dataWait(), description: engine.info.description };
  } finally {
    await engine.close();
    host.dispose();
  }
}

export default async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const networks = (arg(args, '--networks')?.split(',') ?? (quick ? ['durn-p'] : NETWORK_IDS)) as NetworkId[];
  const patches = (arg(args, '--patches') ?? (quick ? '64' : '64,128')).split(',').map(Number);
  const steps = Number(arg(args, '--steps') ?? (quick ? 2 : 4));
  const engines = (arg(args, '--engines') ?? 'tfjs,torch').split(',') as Run['engine'][];
  const device = arg(args, '--device') ?? 'cpu';
  const precisions = (arg(args, '--precision') ?? 'fp32').split(',') as Run['precision'][];
  // tfjs runs once (fp32 on the CPU); torch once per precision asked for.
  const runs = engines.flatMap((engine): Run[] =>
    engine === 'torch'
      ? precisions.map((precision) => ({ engine, device, precision }))
      : [{ engine, device: 'cpu', precision: 'fp32' }],
  );
  const all = availableParallelism();
  await initTrainingBackend('wasm');
  console.log(
    `training throughput, ${cpus()[0]?.model ?? 'cpu'} × ${all} cores, ${steps} timed steps after 1 warm-up`,
  );
  console.log(
    'network        patch batch  engine                               patches/s  GFLOP/s  data wait  vs tfjs  vs fp32',
  );
  for (const network of networks) {
    const d = NETWORK_DEFAULTS[network]!;
    const batch = Number(arg(args, '--batch') ?? Math.max(d.batch, all));
    for (const patch of patches) {
      const flopsPerPatch = 3 * forwardFlops(getNetwork(network).graph, patch, patch);
      let tfjs = 0;
      let fp32 = 0;
      for (const { engine, device, precision } of runs) {
        let r: Awaited<ReturnType<typeof measure>>;
        try {
          r = await measure(network, { engine, device, precision }, patch, batch, steps);
          if (engine === 'tfjs') tfjs = r.pps;
          else if (precision === 'fp32') fp32 = r.pps;
        } catch (err) {
          // e.g. tfjs-wasm's bounded heap at 128² with DuRN-U: say so and go on with the table.
          console.log(
            `${network.padEnd(14)} ${String(patch).padStart(5)} ${String(batch).padStart(5)}  ${engine}: ${(err as Error).message}`,
          );
          continue;
        }
        console.log(
          `${network.padEnd(14)} ${String(patch).padStart(5)} ${String(batch).padStart(5)}  ${r.description.padEnd(35)}` +
            `  ${r.pps.toFixed(2).padStart(9)}  ${((r.pps * flopsPerPatch) / 1e9).toFixed(1).padStart(7)}` +
            `  ${r.wait === null ? '        -' : `${(100 * r.wait).toFixed(1).padStart(8)}%`}` +
            `  ${tfjs > 0 ? `${(r.pps / tfjs).toFixed(2)}×` : '-'.padStart(5)}` +
            `  ${engine === 'torch' && precision === 'bf16' && fp32 > 0 ? `${(r.pps / fp32).toFixed(2)}×` : '-'}`,
        );
      }
    }
  }
}
