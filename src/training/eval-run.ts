/**
 * `durn eval`: whole-image PSNR/SSIM of the degraded input, of the network, and of the classical
 * baselines the recipe names (noise: a 3×3 median and a Gaussian blur; haze: the dark channel
 * prior), on synthetic degradations from a fixed seed or on real pairs; plus the network on the
 * clean photos themselves (how much a restoration harms a photo that needed none).
 *
 * The network runs through an inference session (ONNX Runtime by default, several times the
 * tfjs wasm speed; `engine: 'tfjs'` keeps the training engine's numerics). Gaussian noise is
 * evaluated once per σ, every image degraded at exactly that σ with noise seeded by (image, σ).
 */
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import { DurnUserError, expected } from '../core/errors.ts';
import { createSession } from '../models/engines/index.ts';
import type { TfjsBackendChoice } from '../models/engines/tfjs/backend.ts';
import type { InferenceSession, SessionOptions } from '../models/engines/types.ts';
import { getNetwork } from '../models/networks/index.ts';
import { weightsHash } from '../models/weights/hash.ts';
import { loadWeights } from '../models/weights/safetensors.ts';
import { type BatchSpec, synthesize } from './data/batches.ts';
import { loadTrainingImages } from './data/images.ts';
import { wholeImage } from './data/patches.ts';
import { registerDegradation } from './degradations/index.ts';
import { restoreWithSession, VALIDATION_SEED } from './evaluate.ts';
import { measure } from './metrics.ts';
import type { TrainingRecipe, TrainingTask } from './recipe.ts';
import { createRng } from './rng.ts';
import { sigmaOption } from './setup.ts';

export const evalOptionsSchema = z.object({
  task: z.string().min(1),
  network: z.string().optional(),
  data: z.string().min(1),
  pairs: z.string().optional(),
  weights: z.string().optional(),
  sigma: z.array(z.number().positive().max(255)).nonempty().optional(),
  limit: z.number().int().positive().optional(),
  /** Synthetic degradation: an evaluation id or degradation name of the recipe (default its first). */
  degradation: z.string().min(1).optional(),
  /** Inference engine: auto (onnx when it loads, else tfjs), onnx, or tfjs. */
  engine: z.enum(['auto', 'onnx', 'tfjs', 'torch']).default('auto'),
  /** ONNX intra-op threads (default: all cores). */
  threads: z.number().int().positive().max(1024).optional(),
  /** tfjs backend when the tfjs engine runs. */
  backend: z.enum(['auto', 'wasm', 'cpu', 'node', 'node-gpu']).default('wasm'),
});
export type EvalOptions = z.input<typeof evalOptionsSchema>;

export interface EvalRow {
  readonly method: string;
  /** input: the degraded photo itself; network: the DuRN output; baseline: a classical filter. */
  readonly kind: 'input' | 'network' | 'baseline';
  readonly psnr: number;
  readonly ssim: number;
}

/** One degradation setting: a σ for Gaussian noise, else the task's synthetic (or real) degradation. */
export interface EvalPass {
  readonly sigma?: number;
  readonly rows: readonly EvalRow[];
}

export interface EvalResult {
  /** The evaluation's name: the recipe's degradation key (e.g. denoise-gray). */
  readonly task: string;
  /** The degradation's registered key (the recipe's, or an evaluation's name), or 'pairs'. */
  readonly degradation: string;
  readonly network: string;
  readonly weights: string;
  /** weightsHash of the weights evaluated (format- and key-order-independent sha256). */
  readonly weightsHash: string;
  /** The session that ran the network, e.g. "onnx cpu (2 threads)". */
  readonly engine: string;
  readonly images: number;
  readonly passes: readonly EvalPass[];
  /** The first pass's rows (the only pass unless several σ were asked for). */
  readonly rows: readonly EvalRow[];
  /** The network's output on the clean photos, scored against them: once, whatever the σ. */
  readonly clean: EvalRow;
  readonly seconds: number;
}

function invalid(message: string, hint?: string): DurnUserError {
  return new DurnUserError('INVALID_OPTION', message, hint ? { hint } : {});
}

/**
 * The degradation key to synthesise with: --degradation (an evaluation id or degradation name of
 * the recipe, else its training degradation's key or name), else the recipe's first evaluation,
 * else its own degradation.
 */
function evalDegradation(recipe: TrainingRecipe, wanted: string | undefined, synthetic: boolean): string {
  if (wanted !== undefined && !synthetic) {
    throw invalid(
      '--degradation synthesises the degraded photos, so it cannot be combined with --pairs or --sigma',
    );
  }
  const evaluations = recipe.evaluations ?? [];
  if (wanted === undefined || !synthetic) return evaluations[0]?.degradation.name ?? recipe.name;
  // Evaluation ids first: a recipe may reuse its own name for one (denoise-rgb does).
  const e =
    evaluations.find((x) => x.id === wanted) ?? evaluations.find((x) => x.degradation.name === wanted);
  if (e === undefined && (wanted === recipe.name || wanted === recipe.degradation.name)) return recipe.name;
  if (e === undefined) {
    const names = [
      recipe.name,
      recipe.degradation.name,
      ...evaluations.flatMap((x) => [x.id, x.degradation.name]),
    ];
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(`one of ${[...new Set(names)].join(', ')}`, '--degradation', wanted),
    );
  }
  registerDegradation(e.degradation.name, e.degradation);
  return e.degradation.name;
}

/** The σ passes: --sigma (deduplicated) or the recipe's levels (the paper's) for Gaussian noise. */
function sigmaPasses(
  recipe: TrainingRecipe,
  sigma: readonly number[] | undefined,
  pairs: boolean,
): (number | undefined)[] {
  if (sigma !== undefined) {
    sigmaOption(recipe, sigma);
    if (pairs)
      throw invalid('--sigma synthesises noise, so it cannot be combined with --pairs (real noisy photos)');
    return [...new Set(sigma)];
  }
  return recipe.sigmas !== undefined && !pairs ? [...recipe.sigmas] : [undefined];
}

async function openSession(
  o: { engine: 'auto' | 'onnx' | 'tfjs' | 'torch'; threads?: number | undefined; backend: TfjsBackendChoice },
  base: SessionOptions,
): Promise<InferenceSession> {
  if (o.engine === 'tfjs') {
    const { createTfjsSession } = await import('../models/engines/tfjs/session.ts');
    return createTfjsSession({ ...base, backend: o.backend });
  }
  return createSession({ ...base, engine: o.engine, threads: o.threads ?? availableParallelism() });
}

interface Sum {
  psnr: number;
  ssim: number;
}

function add(sum: Sum, m: { psnr: number; ssim: number }): void {
  sum.psnr += m.psnr;
  sum.ssim += m.ssim;
}

export function parseEvalOptions(options: EvalOptions): z.output<typeof evalOptionsSchema> {
  const r = evalOptionsSchema.safeParse(options);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(issue.message, `the eval option "${issue.path.join('.')}"`, options),
    );
  }
  return r.data;
}

/** Evaluates one network of `task` (src/plugins/training.ts resolves `options.task` to it). */
export async function evaluateNetwork(
  options: EvalOptions,
  task: TrainingTask,
  onImage?: (done: number, total: number) => void,
): Promise<EvalResult> {
  const started = performance.now();
  const o = parseEvalOptions(options);
  const network = task.pickNetwork(o.network, o.sigma !== undefined);
  const def = getNetwork(network);
  const recipe = task.recipe(network);
  registerDegradation(recipe.name, recipe.degradation);
  for (const e of recipe.evaluations ?? []) registerDegradation(e.degradation.name, e.degradation);
  const sigmas = sigmaPasses(recipe, o.sigma, o.pairs !== undefined);
  const synthetic = o.pairs === undefined && o.sigma === undefined;
  const degradation =
    o.sigma !== undefined && o.degradation === undefined
      ? recipe.name
      : evalDegradation(recipe, o.degradation, synthetic);
  const weightsPath = o.weights ? resolve(o.weights) : task.installedWeights(network);
  const weights = await loadWeights(weightsPath, network);
  const images = await loadTrainingImages({
    data: o.data,
    pairs: o.pairs,
    channels: def.inChannels as 1 | 3,
    limit: o.limit,
  });
  const specFor = (sigma: number | undefined): BatchSpec => ({
    seed: 0,
    batch: 1,
    patch: 0,
    margin: 0,
    channels: def.inChannels as 1 | 3,
    degradation,
    degradationOptions: sigma === undefined ? {} : { sigma },
  });
  const rngFor = (name: string, sigma: number | undefined) =>
    sigma === undefined
      ? createRng(VALIDATION_SEED).fork('eval', name)
      : createRng(VALIDATION_SEED).fork('eval', name, sigma);
  const classical = recipe.baselines ?? [];
  const methods: { method: string; kind: EvalRow['kind'] }[] = [
    { method: 'degraded input', kind: 'input' },
    { method: `${def.title} (${basename(weightsPath)})`, kind: 'network' },
    ...classical.map((b) => ({ method: b.name, kind: 'baseline' as const })),
  ];
  const sums: Sum[][] = sigmas.map(() => methods.map(() => ({ psnr: 0, ssim: 0 })));
  const cleanSum: Sum = { psnr: 0, ssim: 0 };
  const n = images.clean.images.length;
  const session = await openSession(o, { network: def, weights: weights.tensors });
  try {
    for (let i = 0; i < n; i++) {
      const info = images.clean.images[i]!;
      const clean = wholeImage(images.clean, i);
      for (const [p, sigma] of sigmas.entries()) {
        const degraded = images.degraded
          ? wholeImage(images.degraded, i)
          : synthesize(clean, specFor(sigma), rngFor(info.name, sigma)).input;
        const outputs = [
          degraded,
          await restoreWithSession(session, degraded, def),
          ...classical.map((b) => b.run(degraded)),
        ];
        for (const [k, img] of outputs.entries()) add(sums[p]![k]!, measure(recipe.colorSpace, img, clean));
      }
      add(cleanSum, measure(recipe.colorSpace, await restoreWithSession(session, clean, def), clean));
      onImage?.(i + 1, n);
    }
  } finally {
    await session.dispose();
  }
  const passes: EvalPass[] = sigmas.map((sigma, p) => ({
    ...(sigma === undefined ? {} : { sigma }),
    rows: methods.map((m, k) => ({ ...m, psnr: sums[p]![k]!.psnr / n, ssim: sums[p]![k]!.ssim / n })),
  }));
  return {
    task: recipe.name,
    degradation: images.degraded ? 'pairs' : degradation,
    network,
    weights: weightsPath,
    weightsHash: weightsHash(weights.tensors),
    engine: session.description,
    images: n,
    passes,
    rows: passes[0]!.rows,
    clean: {
      method: `${def.title} on clean photos`,
      kind: 'network',
      psnr: cleanSum.psnr / n,
      ssim: cleanSum.ssim / n,
    },
    seconds: (performance.now() - started) / 1000,
  };
}

function formatRow(method: string, width: number, m: { psnr: number; ssim: number }): string {
  return `${method.padEnd(width)}  ${m.psnr.toFixed(2).padStart(9)}  ${m.ssim.toFixed(4)}`;
}

export function formatEvalTable(r: EvalResult): string {
  const all = [...r.passes.flatMap((p) => p.rows), r.clean];
  const width = Math.max(...all.map((row) => row.method.length), 6);
  const what = r.degradation === r.task ? r.task : `${r.task} (${r.degradation})`;
  const lines = [`${what} on ${r.images} image(s), ${r.network} weights ${r.weights}, ${r.engine}`];
  for (const pass of r.passes) {
    if (pass.sigma !== undefined) lines.push('', `σ = ${pass.sigma}`);
    lines.push(
      `${'method'.padEnd(width)}  PSNR (dB)  SSIM`,
      ...pass.rows.map((row) => formatRow(row.method, width, row)),
    );
  }
  lines.push('', formatRow(r.clean.method, width, r.clean));
  return lines.join('\n');
}
