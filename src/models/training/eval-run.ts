/**
 * `durn eval`: whole-image PSNR/SSIM of the degraded input, of the network, and of a classical
 * baseline where one is cheap (for noise: a 3×3 median and a Gaussian blur), on synthetic
 * degradations from a fixed seed or on real pairs.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { DurnUserError, expected } from '../../errors.ts';
import { getPlugin } from '../../plugins/registry.ts';
import { resolveWeights } from '../../plugins/weights-path.ts';
import type { ImageTensor } from '../engines/types.ts';
import { getNetwork } from '../networks/index.ts';
import { loadWeights } from '../weights/safetensors.ts';
import { NETWORK_DEFAULTS } from './config.ts';
import { type BatchSpec, synthesize } from './data/batches.ts';
import { loadTrainingImages } from './data/images.ts';
import { wholeImage } from './data/patches.ts';
import { restoreWhole, VALIDATION_SEED } from './evaluate.ts';
import { gaussianBlur, plane } from './image-math.ts';
import { type MetricTask, measure } from './metrics.ts';
import { initTrainingBackend, Replica } from './replica.ts';
import { createRng } from './rng.ts';
import { taskNetwork } from './setup.ts';

export const evalOptionsSchema = z.object({
  task: z.string().min(1),
  network: z.string().optional(),
  data: z.string().min(1),
  pairs: z.string().optional(),
  weights: z.string().optional(),
  sigma: z.array(z.number().positive().max(255)).nonempty().optional(),
  limit: z.number().int().positive().optional(),
  backend: z.enum(['auto', 'wasm', 'cpu', 'node', 'node-gpu']).default('wasm'),
});
export type EvalOptions = z.input<typeof evalOptionsSchema>;

export interface EvalRow {
  readonly method: string;
  readonly psnr: number;
  readonly ssim: number;
}

export interface EvalResult {
  readonly task: MetricTask;
  readonly network: string;
  readonly weights: string;
  readonly images: number;
  readonly rows: readonly EvalRow[];
}

/** 3×3 median per channel, borders by replication: the textbook impulse/Gaussian noise filter. */
export function median3(image: ImageTensor): ImageTensor {
  const { channels, height: h, width: w } = image;
  const out = new Float32Array(image.data.length);
  const win = new Float32Array(9);
  for (let c = 0; c < channels; c++) {
    const p = plane(image, c);
    const o = out.subarray(c * h * w, (c + 1) * h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let k = 0;
        for (let dy = -1; dy <= 1; dy++) {
          const yy = Math.min(h - 1, Math.max(0, y + dy));
          for (let dx = -1; dx <= 1; dx++) win[k++] = p[yy * w + Math.min(w - 1, Math.max(0, x + dx))]!;
        }
        win.sort();
        o[y * w + x] = win[4]!;
      }
    }
  }
  return { channels, height: h, width: w, data: out };
}

function baselines(task: MetricTask): { name: string; run: (x: ImageTensor) => ImageTensor }[] {
  if (task === 'denoise-gray' || task === 'denoise-rgb') {
    return [
      { name: 'median 3×3', run: median3 },
      { name: 'gaussian σ=1', run: (x) => gaussianBlur(x, 1) },
    ];
  }
  return [];
}

export async function evaluateModel(
  options: EvalOptions,
  onImage?: (done: number, total: number) => void,
): Promise<EvalResult> {
  const r = evalOptionsSchema.safeParse(options);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(issue.message, `the eval option "${issue.path.join('.')}"`, options),
    );
  }
  const o = r.data;
  const network = taskNetwork(o.task, o.network, o.sigma !== undefined);
  const def = getNetwork(network);
  const task = NETWORK_DEFAULTS[network].degradation as MetricTask;
  const weightsPath = o.weights ? resolve(o.weights) : resolveWeights(getPlugin(o.task), network).path;
  const weights = await loadWeights(weightsPath, network);
  const images = await loadTrainingImages({
    data: o.data,
    pairs: o.pairs,
    channels: def.inChannels as 1 | 3,
    limit: o.limit,
  });
  const spec: BatchSpec = {
    seed: 0,
    batch: 1,
    patch: 0,
    margin: 0,
    channels: def.inChannels as 1 | 3,
    degradation: task,
    degradationOptions: o.sigma ? { sigma: o.sigma } : {},
  };
  await initTrainingBackend(o.backend);
  const replica = new Replica(def, weights.tensors, NETWORK_DEFAULTS[network].loss);
  const methods = [
    'degraded input',
    `${def.title} (${weightsPath.split('/').pop()})`,
    ...baselines(task).map((b) => b.name),
  ];
  const sums = methods.map(() => ({ psnr: 0, ssim: 0 }));
  const n = images.clean.images.length;
  try {
    for (let i = 0; i < n; i++) {
      const info = images.clean.images[i]!;
      const clean = wholeImage(images.clean, i);
      const degraded = images.degraded
        ? wholeImage(images.degraded, i)
        : synthesize(clean, spec, createRng(VALIDATION_SEED).fork('eval', info.name)).input;
      const outputs = [
        degraded,
        restoreWhole(replica, degraded, def.sizeMultiple),
        ...baselines(task).map((b) => b.run(degraded)),
      ];
      outputs.forEach((img, k) => {
        const m = measure(task, img, clean);
        sums[k]!.psnr += m.psnr;
        sums[k]!.ssim += m.ssim;
      });
      onImage?.(i + 1, n);
    }
  } finally {
    replica.dispose();
  }
  return {
    task,
    network,
    weights: weightsPath,
    images: n,
    rows: methods.map((method, k) => ({ method, psnr: sums[k]!.psnr / n, ssim: sums[k]!.ssim / n })),
  };
}

export function formatEvalTable(r: EvalResult): string {
  const width = Math.max(...r.rows.map((row) => row.method.length), 6);
  const lines = [
    `${r.task} on ${r.images} image(s), ${r.network} weights ${r.weights}`,
    `${'method'.padEnd(width)}  PSNR (dB)  SSIM`,
    ...r.rows.map(
      (row) => `${row.method.padEnd(width)}  ${row.psnr.toFixed(2).padStart(9)}  ${row.ssim.toFixed(4)}`,
    ),
  ];
  return lines.join('\n');
}
