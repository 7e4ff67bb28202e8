/**
 * Training recipe files (not to be confused with a network's TrainingRecipe in recipe.ts, the
 * defaults a task plugin declares): one JSON file per plugin (recipes/<plugin>.json) holding everything a run
 * needs to be redone: network, degradation options (with the easy cases), loss, patch, batch,
 * learning-rate schedule and steps. `durn train --recipe <file>` starts from it; options given
 * beside it win (--steps 2 for a dry run, --resume, --out). The recipe, its file and its hash go
 * into the checkpoint and the weights' provenance. Folders are relative to the recipe file, and a
 * recipe never trains or validates on a test split.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { DurnUserError, describe, expected } from '../core/errors.ts';
import { LOSS_KINDS, type RecipeRecord, type TrainOptions } from './config.ts';
import { degradationParams } from './data/batches.ts';
import { registerDegradation } from './degradations/index.ts';
import type { TrainingTask } from './recipe.ts';
import { createRng } from './rng.ts';
import { scheduleSchema } from './schedule.ts';

/** The task a recipe names, as the trainer sees it (the plugins layer resolves it). */
export type ResolveTask = (task: string) => TrainingTask;

const positiveInt = z.number().int().positive();
const optionValue = z.union([
  z.number(),
  z.string(),
  z.boolean(),
  z.null(),
  z.array(z.unknown()).nonempty(),
  z
    .object({ min: z.number(), max: z.number() })
    .strict()
    .refine((r) => r.min <= r.max, 'min ≤ max'),
]);
const options = z.record(z.string(), optionValue);

export const recipeSchema = z
  .object({
    /** The plugin (task) the weights are for: denoise, deblur, dehaze, derain, raindrop. */
    task: z.string().min(1),
    network: z.string().min(1),
    description: z.string().optional(),
    /** Clean photo folders, relative to the recipe file. */
    data: z.array(z.string().min(1)).nonempty(),
    val: z.string().min(1).optional(),
    /** 'scratch' (the identity start), 'default' (installed weights) or a weights file. */
    from: z.string().default('scratch'),
    /** Options of the task's degradation (DegradationOptions): values, lists, {min, max}, easy. */
    degradation: z
      .object({
        options: options.default({}),
        easy: z
          .object({ share: z.number().min(0).max(1), options })
          .strict()
          .optional(),
      })
      .strict()
      .default({ options: {} }),
    loss: z.enum(LOSS_KINDS),
    patch: positiveInt,
    batch: positiveInt,
    lr: z.number().positive(),
    schedule: scheduleSchema,
    warmup: z.number().int().min(0).default(0),
    steps: positiveInt,
    seed: z.number().int().min(0).default(0),
    valEvery: positiveInt.optional(),
    valLimit: positiveInt.optional(),
    valPatch: positiveInt.optional(),
    checkpointEvery: positiveInt.optional(),
    ema: z.number().gt(0).lt(1).optional(),
    clip: z.number().positive().optional(),
  })
  .strict();
export type Recipe = z.output<typeof recipeSchema>;

function fail(file: string, message: string, hint?: string): never {
  throw new DurnUserError('INVALID_OPTION', `${message} (${basename(file)})`, {
    file,
    hint: hint ?? 'Fix the recipe file; recipes/README.md describes every field.',
  });
}

/**
 * Parses and checks a recipe object against its task; `file` names it in errors and anchors its
 * folders.
 */
export function parseRecipe(input: unknown, file: string, resolveTask: ResolveTask): Recipe {
  const r = recipeSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const path = issue.path.join('.') || 'recipe';
    if (issue.code === 'unrecognized_keys') {
      fail(
        file,
        expected(
          'only known fields',
          `the recipe${path === 'recipe' ? '' : ` field "${path}"`}`,
          issue.keys.join(', '),
        ),
      );
    }
    const value = issue.path.reduce<unknown>(
      (v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k],
      input,
    );
    fail(
      file,
      expected(issue.message.replace(/^Invalid input: expected /, ''), `the recipe field "${path}"`, value),
    );
  }
  const recipe = r.data;
  let defaults: ReturnType<TrainingTask['recipe']>;
  try {
    const task = resolveTask(recipe.task);
    defaults = task.recipe(task.pickNetwork(recipe.network, false));
  } catch (err) {
    fail(file, (err as Error).message);
  }
  const degradation = defaults.name;
  registerDegradation(degradation, defaults.degradation);
  // Never the test split: it is what the plugins are measured on.
  for (const folder of [...recipe.data, ...(recipe.val ? [recipe.val] : [])]) {
    if (basename(resolve(dirname(file), folder)).toLowerCase() === 'test') {
      fail(
        file,
        expected('training or validation photos', 'the recipe folder', folder),
        'Never train or validate on the test split.',
      );
    }
  }
  // The options must name the degradation's parameters and draw valid values, easy ones included.
  const all = { ...recipe.degradation.options, ...(recipe.degradation.easy?.options ?? {}) };
  for (const share of [0, 1]) {
    const degradationOptions = {
      ...recipe.degradation.options,
      easy: { share, options: recipe.degradation.easy?.options ?? {} },
    };
    let params: Record<string, unknown>;
    try {
      params = degradationParams({ degradation, degradationOptions }, createRng(share), 321) as Record<
        string,
        unknown
      >;
    } catch (err) {
      fail(file, `Invalid degradation option: ${(err as Error).message}`);
    }
    const given = share === 1 ? all : recipe.degradation.options;
    const unknown = Object.keys(given).filter((k) => !(k in params));
    if (unknown.length > 0) {
      fail(
        file,
        expected(
          `options of ${degradation} (${Object.keys(params).join(', ')})`,
          'the recipe field "degradation"',
          unknown.join(', '),
        ),
      );
    }
  }
  return recipe;
}

/** Reads a recipe file: the parsed recipe and the record kept in the provenance. */
export async function loadRecipe(
  file: string,
  resolveTask: ResolveTask,
): Promise<{ recipe: Recipe; record: RecipeRecord }> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DurnUserError('INVALID_INPUT', `Cannot read the recipe ${path}`, {
      file: path,
      hint: 'Pass a recipe file, e.g. recipes/raindrop.json.',
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    fail(
      path,
      `Expected JSON for the recipe but received ${describe(text.slice(0, 40))}: ${(err as Error).message}`,
    );
  }
  const recipe = parseRecipe(json, path, resolveTask);
  const sha256 = createHash('sha256').update(text).digest('hex');
  return { recipe, record: { file: path, sha256, recipe: json as Record<string, unknown> } };
}

/** The train options a recipe stands for (folders resolved against the recipe's folder). */
export function recipeOptions(recipe: Recipe, file: string): TrainOptions & { network: string } {
  const at = (f: string) => resolve(dirname(resolve(file)), f);
  const degradationOptions: Record<string, unknown> = { ...recipe.degradation.options };
  if (recipe.degradation.easy) degradationOptions.easy = recipe.degradation.easy;
  return {
    task: recipe.task,
    network: recipe.network,
    data: recipe.data.map(at),
    ...(recipe.val ? { val: at(recipe.val) } : {}),
    from: recipe.from === 'scratch' || recipe.from === 'default' ? recipe.from : at(recipe.from),
    degradationOptions,
    loss: recipe.loss,
    patch: recipe.patch,
    batch: recipe.batch,
    lr: recipe.lr,
    schedule: recipe.schedule,
    warmup: recipe.warmup,
    steps: recipe.steps,
    seed: recipe.seed,
    ...(recipe.valEvery ? { valEvery: recipe.valEvery } : {}),
    ...(recipe.valLimit ? { valLimit: recipe.valLimit } : {}),
    ...(recipe.valPatch ? { valPatch: recipe.valPatch } : {}),
    ...(recipe.checkpointEvery ? { checkpointEvery: recipe.checkpointEvery } : {}),
    ...(recipe.ema ? { ema: recipe.ema } : {}),
    ...(recipe.clip ? { clip: recipe.clip } : {}),
  };
}

/**
 * Options with `options.recipe` applied: the recipe's settings, then every option given beside
 * it. The task given beside a recipe must be the recipe's.
 */
export async function withRecipe(
  options: TrainOptions,
  resolveTask: ResolveTask,
): Promise<{ options: TrainOptions; record: RecipeRecord | undefined }> {
  if (!options.recipe) return { options, record: undefined };
  const { recipe, record } = await loadRecipe(options.recipe, resolveTask);
  if (options.task && options.task !== recipe.task) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(`task ${recipe.task}`, `the recipe ${basename(record.file)}`, options.task),
      {
        hint: 'Leave the task out with --recipe, or name the recipe’s task.',
      },
    );
  }
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return { options: { ...recipeOptions(recipe, record.file), ...given, task: recipe.task }, record };
}
