/**
 * Speed of the tfjs engine per network and backend: seconds per megapixel and GFLOP/s for a
 * forward pass (inference) and a training step (forward + backward ≈ 3× the forward FLOPs).
 *
 *   npm run bench -- models [size] [--networks durn-p,durn-u] [--backends wasm,cpu]
 *
 * size defaults to 256 (a size×size input; DuRN-U/US/S-P round it down to a multiple of 4). The
 * pure-JS cpu backend (~40× slower) runs DuRN-P only, at a quarter of the side.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initTfjs, type TfjsBackendChoice } from '../src/models/engines/tfjs/backend.ts';
import { TfjsModel } from '../src/models/engines/tfjs/model.ts';
import { forwardFlops } from '../src/models/graph/analysis.ts';
import type { NetworkDefinition } from '../src/models/graph/types.ts';
import { allNetworks, getNetwork } from '../src/models/networks/index.ts';
import { initialWeights } from '../src/models/weights/init.ts';

interface Row {
  network: string;
  backend: string;
  size: string;
  fwdSecPerMP: number;
  fwdGflops: number;
  trainSecPerMP: number;
  trainGflops: number;
}

function option(args: string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

function timeIt(fn: () => void): number {
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function measure(def: NetworkDefinition, backend: string, side: number): Row {
  const m = def.sizeMultiple;
  const s = Math.max(def.minSide, Math.floor(side / m) * m);
  const model = TfjsModel.fromStateDict(def, initialWeights(def, 0));
  const shape: [number, number, number, number] = [1, s, s, def.inChannels];
  const x = tf.randomUniform(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
  const target = tf.randomUniform(shape, 0, 1, 'float32', 2) as tf.Tensor4D;
  const mse = (p: tf.Tensor4D, t: tf.Tensor4D) => tf.mean(tf.squaredDifference(p, t)) as tf.Scalar;
  // Warm up at the smallest legal size: XNNPACK packs each filter once, on first use.
  const small = tf.zeros([1, def.minSide, def.minSide, def.inChannels]) as tf.Tensor4D;
  model.predict(small).dataSync();
  const warm = model.trainStep(small, small, mse);
  tf.dispose([...warm.grads.values()]);
  const fwd = timeIt(() => model.predict(x).dataSync());
  const train = timeIt(() => {
    const { grads } = model.trainStep(x, target, mse);
    tf.dispose([...grads.values()]);
  });
  tf.dispose([x, target, small]);
  model.dispose();
  const mp = (s * s) / 1e6;
  const flops = forwardFlops(def.graph, s, s);
  return {
    network: def.id,
    backend,
    size: `${s}×${s}`,
    fwdSecPerMP: fwd / mp,
    fwdGflops: flops / fwd / 1e9,
    trainSecPerMP: train / mp,
    trainGflops: (3 * flops) / train / 1e9,
  };
}

export default async function models(args: string[]): Promise<void> {
  const side = Number(args.find((a) => /^\d+$/.test(a)) ?? 256);
  const networks = (option(args, '--networks')?.split(',') ?? allNetworks().map((d) => d.id)).map(getNetwork);
  const requested = option(args, '--backends')?.split(',') as TfjsBackendChoice[] | undefined;
  const backends: TfjsBackendChoice[] = requested ?? ['node', 'wasm', 'cpu'];
  const rows: Row[] = [];
  for (const b of backends) {
    let init: Awaited<ReturnType<typeof initTfjs>>;
    try {
      init = await initTfjs({ backend: b });
    } catch (err) {
      console.log(`${b}: skipped (${(err as Error).message})`);
      continue;
    }
    const nets = b === 'cpu' ? networks.filter((d) => d.id === 'durn-p') : networks;
    const s = b === 'cpu' ? Math.max(16, Math.floor(side / 4)) : side;
    for (const def of nets) {
      const row = measure(def, init.backend, s);
      rows.push(row);
      console.log(
        `${row.network} ${row.backend} ${row.size}: forward ${row.fwdSecPerMP.toFixed(2)} s/MP, train ${row.trainSecPerMP.toFixed(2)} s/MP`,
      );
    }
  }
  console.log(
    '\n| network | backend | input | forward s/MP | forward GFLOP/s | train step s/MP | train GFLOP/s |',
  );
  console.log('| --- | --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.network} | ${r.backend} | ${r.size} | ${r.fwdSecPerMP.toFixed(2)} | ${r.fwdGflops.toFixed(1)} | ${r.trainSecPerMP.toFixed(2)} | ${r.trainGflops.toFixed(1)} |`,
    );
  }
}
