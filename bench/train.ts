/**
 * Training throughput: patches per second and GFLOP/s (3 × forward FLOPs per patch: forward,
 * input gradients, weight gradients) per network at its default patch size, with 1 worker and
 * with all cores. Uses the trainer's own worker pool, data synthesis and optimizer.
 *
 *   npm run bench -- train [--quick] [--networks durn-p,durn-s] [--steps N] [--batch B]
 */
import { availableParallelism, cpus } from 'node:os';
import { forwardFlops } from '../src/models/graph/analysis.ts';
import { NETWORK_IDS, type NetworkId } from '../src/models/graph/types.ts';
import { getNetwork } from '../src/models/networks/index.ts';
import { initialWeights } from '../src/models/weights/init.ts';
import { pluginModule } from '../src/plugins/registry.ts';
import { allRecipes, NETWORK_DEFAULTS } from '../src/plugins/training.ts';
import type { BatchSpec } from '../src/training/data/batches.ts';
import type { ImageSet, TrainingImages } from '../src/training/data/images.ts';
import { adamStep, createAdamState, DEFAULT_ADAM } from '../src/training/optimizer.ts';
import { initTrainingBackend, Replica } from '../src/training/replica.ts';
import { GradientWorkers } from '../src/training/workers.ts';

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

async function measure(network: NetworkId, workers: number, batch: number, steps: number): Promise<number> {
  const def = getNetwork(network);
  const d = NETWORK_DEFAULTS[network]!;
  const host = new Replica(def, initialWeights(def, 0), d.loss);
  const spec: BatchSpec = {
    seed: 0,
    batch,
    patch: d.patch,
    margin: d.margin,
    channels: def.inChannels as 1 | 3,
    degradation: d.degradation,
    degradationOptions: {},
  };
  const pool = await GradientWorkers.start({
    workers,
    network: def,
    degradationModule: pluginModule(allRecipes().find((r) => r.network === network)!.plugin.id),
    loss: d.loss,
    backend: 'wasm',
    images: syntheticImages(spec.channels),
    spec,
    layout: host.layout,
  });
  try {
    host.read(pool.params, pool.buffers);
    const grads = new Float32Array(host.layout.trainableSize);
    const adam = createAdamState(host.layout.trainableSize);
    const step = async (k: number) => {
      await pool.step(k, grads, pool.buffers);
      adamStep(pool.params, grads, adam, d.lr, DEFAULT_ADAM);
    };
    await step(0); // warm-up: wasm compilation, XNNPACK packing, allocator growth
    const t0 = performance.now();
    for (let k = 1; k <= steps; k++) await step(k);
    return (steps * batch) / ((performance.now() - t0) / 1000);
  } finally {
    await pool.close();
    host.dispose();
  }
}

export default async function run(args: string[]): Promise<void> {
  const quick = args.includes('--quick');
  const networks = (arg(args, '--networks')?.split(',') ??
    (quick ? ['durn-p', 'durn-p-nonorm'] : NETWORK_IDS)) as NetworkId[];
  const steps = Number(arg(args, '--steps') ?? (quick ? 2 : 5));
  const all = availableParallelism();
  const backend = await initTrainingBackend('wasm');
  console.log(
    `training throughput, tfjs ${backend}, ${cpus()[0]?.model ?? 'cpu'} × ${all} cores, ${steps} timed steps after 1 warm-up`,
  );
  console.log('network        patch batch  workers  patches/s  GFLOP/s  speed-up');
  for (const network of networks) {
    const d = NETWORK_DEFAULTS[network]!;
    const batch = Number(arg(args, '--batch') ?? (quick ? Math.max(2, all) : Math.max(d.batch, all)));
    const flopsPerPatch = 3 * forwardFlops(getNetwork(network).graph, d.patch, d.patch);
    let single = 0;
    for (const workers of all > 1 ? [1, all] : [1]) {
      const pps = await measure(network, workers, batch, steps);
      if (workers === 1) single = pps;
      console.log(
        `${network.padEnd(14)} ${String(d.patch).padStart(5)} ${String(batch).padStart(5)} ${String(workers).padStart(8)}` +
          `  ${pps.toFixed(2).padStart(9)}  ${((pps * flopsPerPatch) / 1e9).toFixed(1).padStart(7)}` +
          `  ${workers === 1 ? '1.00' : (pps / single).toFixed(2)}`,
      );
    }
  }
}
