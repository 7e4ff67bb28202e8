/**
 * Training configuration: the options of `durn train` / `train()`, validated with zod, resolved
 * against the defaults the task plugin gives for the network (the authors' settings, reference doc,
 * "Training settings"). Pure: no I/O, so the CLI, the library call, checkpoints and tests share one
 * definition.
 */
import { z } from 'zod';
import { DurnUserError, expected } from '../core/errors.ts';
import type { NetworkId } from '../models/graph/types.ts';
import { type Schedule, scheduleSchema } from './schedule.ts';

export type LossKind = 'l2' | 'ssim-l1' | 'l1';
export const LOSS_KINDS = ['l2', 'ssim-l1', 'l1'] as const;

/** The recipe file a run was started from (recipe-file.ts): kept in checkpoints and the weights' provenance. */
export interface RecipeRecord {
  readonly file: string;
  readonly sha256: string;
  readonly recipe: Record<string, unknown>;
}

/** How a network trains: the task plugin supplies these (the authors' settings, CPU-sized). */
export interface TrainingHyperparameters {
  readonly loss: LossKind;
  readonly lr: number;
  readonly patch: number;
  readonly batch: number;
  readonly schedule: Schedule;
  /** Pixels of context cropped around each patch before degrading (blur kernels reach outside). */
  readonly margin: number;
  /** Side of the fixed validation crops (whole BSDS images cost seconds per pass on a CPU). */
  readonly valPatch: number;
  /** Warm-up as a fraction of the run (capped at 500 steps) when --warmup is not given. */
  readonly warmup?: number;
  /** Degradation options every run of this network starts from (see DegradationOptions). */
  readonly degradationOptions?: Readonly<Record<string, unknown>>;
}

/** A network's training defaults with the key of the degradation that synthesises its data. */
export interface NetworkTrainingDefaults extends TrainingHyperparameters {
  /** Degradation registry key for synthetic data. */
  readonly degradation: string;
}

const positiveInt = z.number().int().positive();

/** Options as the user gives them (CLI flags or library call); everything but task and data optional. */
export const trainOptionsSchema = z.object({
  task: z.string().min(1),
  /** Which of the task's networks (denoise: durn-p grey, durn-p-nonorm colour); default its first. */
  network: z.string().optional(),
  /** Required, except with `resume` (the checkpoint names its data). Several folders train on all. */
  data: z.union([z.string().min(1), z.array(z.string().min(1)).nonempty()]).optional(),
  pairs: z.string().optional(),
  val: z.string().optional(),
  /** 'default' (the installed weights), 'scratch' (seeded init) or a weights file. */
  from: z.string().default('default'),
  steps: positiveInt.default(2000),
  batch: positiveInt.optional(),
  patch: positiveInt.optional(),
  lr: z.number().positive().optional(),
  /** A kind (with the network's milestones) or a full schedule. */
  schedule: z.union([z.enum(['step', 'cosine']), scheduleSchema]).optional(),
  warmup: z.number().int().min(0).optional(),
  loss: z.enum(LOSS_KINDS).optional(),
  /** Degradation options (DegradationOptions in data/batches.ts); --sigma adds to them. */
  degradationOptions: z.record(z.string(), z.unknown()).optional(),
  /** A recipe file (recipe-file.ts); its settings are the defaults, the options given here win. */
  recipe: z.string().optional(),
  out: z.string().optional(),
  resume: z.string().optional(),
  seed: z.number().int().min(0).default(0),
  valEvery: positiveInt.optional(),
  valLimit: positiveInt.default(16),
  valPatch: positiveInt.optional(),
  checkpointEvery: positiveInt.optional(),
  /** Where periodic checkpoints go; default next to --out. */
  checkpoint: z.string().optional(),
  workers: positiveInt.optional(),
  /** torch engine on the CPU: intra-op threads (default: all cores); two runs side by side take 1 each. */
  threads: positiveInt.optional(),
  ema: z.number().gt(0).lt(1).optional(),
  clip: z.number().positive().optional(),
  /** Noise level(s) for the denoise tasks, in 8-bit units (σ=50 as in the paper). */
  sigma: z.array(z.number().positive().max(255)).nonempty().optional(),
  /** Use at most this many training images (first by name). */
  limit: positiveInt.optional(),
  overwrite: z.boolean().default(false),
  backend: z.enum(['auto', 'wasm', 'cpu', 'node', 'node-gpu']).default('wasm'),
  /** Training engine: tfjs (library default), torch, or auto (torch on CUDA, torch CPU, tfjs). */
  engine: z.enum(['auto', 'tfjs', 'torch']).default('tfjs'),
  /** torch engine: auto (CUDA when torch sees a GPU), cpu, cuda or cuda:N. */
  device: z
    .string()
    .regex(/^(auto|cpu|cuda|cuda:\d+)$/, 'auto, cpu, cuda or cuda:N')
    .default('auto'),
  /** torch engine: bf16 autocast (CUDA, or a CPU with native bf16) or fp32 (TF32 matmuls on CUDA). */
  precision: z.enum(['fp32', 'bf16']).default('fp32'),
  /** Stop cleanly (checkpoint and weights) after this many minutes of this session. */
  minutes: z.number().positive().optional(),
  /** With `minutes`: the schedule runs its course by the deadline (schedule.ts timeProgress). */
  scheduleByTime: z.boolean().default(false),
});
export type TrainOptions = z.input<typeof trainOptionsSchema>;
export type ParsedTrainOptions = z.output<typeof trainOptionsSchema>;

/** The fully resolved settings of a run: stored in checkpoints, so a resume needs nothing else. */
export interface TrainConfig {
  readonly task: string;
  readonly network: NetworkId;
  readonly degradation: string;
  readonly degradationOptions: Record<string, unknown>;
  readonly data: string | readonly string[];
  readonly pairs: string | null;
  readonly val: string | null;
  readonly from: string;
  readonly steps: number;
  readonly batch: number;
  readonly patch: number;
  readonly margin: number;
  readonly lr: number;
  readonly warmup: number;
  readonly schedule: Schedule;
  readonly loss: LossKind;
  readonly seed: number;
  readonly valEvery: number;
  readonly valLimit: number;
  readonly valPatch: number;
  readonly checkpointEvery: number;
  readonly workers: number;
  readonly ema: number | null;
  readonly clip: number | null;
  readonly limit: number | null;
  readonly recipe?: RecipeRecord | undefined;
}

export const trainConfigSchema: z.ZodType<TrainConfig> = z.object({
  task: z.string(),
  network: z.string().min(1),
  degradation: z.string(),
  degradationOptions: z.record(z.string(), z.unknown()),
  data: z.union([z.string(), z.array(z.string())]),
  pairs: z.string().nullable(),
  val: z.string().nullable(),
  from: z.string(),
  steps: positiveInt,
  batch: positiveInt,
  patch: positiveInt,
  margin: z.number().int().min(0),
  lr: z.number().positive(),
  warmup: z.number().int().min(0),
  schedule: scheduleSchema,
  loss: z.enum(LOSS_KINDS),
  seed: z.number().int().min(0),
  valEvery: positiveInt,
  valLimit: positiveInt,
  valPatch: positiveInt,
  checkpointEvery: positiveInt,
  workers: positiveInt,
  ema: z.number().nullable(),
  clip: z.number().nullable(),
  limit: positiveInt.nullable(),
  recipe: z
    .object({ file: z.string(), sha256: z.string(), recipe: z.record(z.string(), z.unknown()) })
    .optional(),
});

export function parseTrainOptions(options: TrainOptions): ParsedTrainOptions {
  const r = trainOptionsSchema.safeParse(options);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.join('.') || 'options';
    const value = issue.path.reduce<unknown>(
      (v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k],
      options,
    );
    throw new DurnUserError(
      'INVALID_OPTION',
      `${expected(issue.message.toLowerCase(), `the training option "${path}"`, value)}`,
    );
  }
  return r.data;
}

/**
 * Resolves defaults against the network's recipe (from its task plugin). `fineTuning` lowers the authors' rate tenfold: their rate
 * trains from scratch, and a trained network driven that hard first forgets what it knew.
 */
export function resolveConfig(
  o: ParsedTrainOptions,
  network: NetworkId,
  d: NetworkTrainingDefaults,
  extra: {
    fineTuning: boolean;
    workers: number;
    degradationOptions: Record<string, unknown>;
    recipe?: RecipeRecord | undefined;
  },
): TrainConfig {
  const steps = o.steps;
  const schedule: Schedule =
    typeof o.schedule === 'object'
      ? o.schedule
      : o.schedule === undefined || o.schedule === d.schedule.kind
        ? d.schedule
        : o.schedule === 'cosine'
          ? { kind: 'cosine', minFactor: 0 }
          : { kind: 'step', milestones: [0.5, 0.75], gamma: 0.1 };
  return {
    task: o.task,
    network,
    degradation: d.degradation,
    degradationOptions: { ...d.degradationOptions, ...extra.degradationOptions },
    data: o.data ?? '',
    pairs: o.pairs ?? null,
    val: o.val ?? null,
    from: o.from,
    steps,
    batch: o.batch ?? d.batch,
    patch: o.patch ?? d.patch,
    margin: o.pairs ? 0 : d.margin,
    lr: o.lr ?? (extra.fineTuning ? d.lr / 10 : d.lr),
    warmup: o.warmup ?? Math.min(500, Math.round((d.warmup ?? 0) * steps)),
    schedule,
    loss: o.loss ?? d.loss,
    seed: o.seed,
    valEvery: o.valEvery ?? Math.max(1, Math.min(500, Math.ceil(steps / 10))),
    valLimit: o.valLimit,
    valPatch: o.valPatch ?? d.valPatch,
    checkpointEvery: o.checkpointEvery ?? Math.max(1, Math.min(500, Math.ceil(steps / 10))),
    workers: extra.workers,
    ema: o.ema ?? null,
    clip: o.clip ?? null,
    limit: o.limit ?? null,
    ...(extra.recipe ? { recipe: extra.recipe } : {}),
  };
}
