/**
 * Everything a run needs before its first step, from options or from a checkpoint: the network,
 * the resolved config, the starting weights, the decoded images and the validation set.
 */
import { access, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DurnBugError, DurnUserError, expected } from '../core/errors.ts';
import type { NetworkDefinition, NetworkId } from '../models/graph/types.ts';
import { getNetwork } from '../models/networks/index.ts';
import { initialWeights } from '../models/weights/init.ts';
import { loadWeights } from '../models/weights/safetensors.ts';
import type { StateDict } from '../models/weights/types.ts';
import { type Checkpoint, loadCheckpoint } from './checkpoint.ts';
import {
  type NetworkTrainingDefaults,
  type ParsedTrainOptions,
  type RecipeRecord,
  resolveConfig,
  type TrainConfig,
  type TrainOptions,
} from './config.ts';
import type { BatchSpec } from './data/batches.ts';
import { type ImageSet, loadTrainingImages, type TrainingImages } from './data/images.ts';
import { registerDegradation } from './degradations/index.ts';
import type { TrainingRecipe, TrainingTask } from './recipe.ts';

export interface RunSetup {
  readonly def: NetworkDefinition;
  readonly config: TrainConfig;
  readonly spec: BatchSpec;
  readonly startWeights: StateDict;
  /** Where the start weights came from: 'scratch', or a file path. */
  readonly startSource: string;
  /** The start file's own provenance (its lineage), or null. */
  readonly startProvenance: Record<string, unknown> | null;
  readonly resumed: Checkpoint | null;
  readonly out: string;
  readonly checkpointPath: string;
}

async function startWeights(
  o: ParsedTrainOptions,
  task: TrainingTask,
  network: NetworkId,
  seed: number,
): Promise<{ sd: StateDict; source: string; provenance: Record<string, unknown> | null }> {
  const def = getNetwork(network);
  // Identity start: see initialWeights. The run begins at the degraded input's quality.
  if (o.from === 'scratch') {
    return { sd: initialWeights(def, seed, { identity: true }), source: 'scratch', provenance: null };
  }
  let path: string;
  if (o.from === 'default') {
    try {
      path = task.installedWeights(network);
    } catch (err) {
      if (err instanceof DurnUserError && err.code === 'WEIGHTS_MISSING') {
        throw new DurnUserError(
          'WEIGHTS_MISSING',
          `No installed ${network} weights to fine-tune: ${err.message}`,
          {
            hint: 'Train from seeded initial weights with --from scratch, or pass a weights file with --from <file>.',
          },
        );
      }
      throw err;
    }
  } else path = resolve(o.from);
  const loaded = await loadWeights(path, network);
  return { sd: loaded.tensors, source: path, provenance: loaded.metadata.provenance ?? null };
}

/** --sigma: only for recipes of Gaussian noise (the recipe lists σ levels). */
export function sigmaOption(
  recipe: TrainingRecipe,
  sigma: readonly number[] | undefined,
): Record<string, unknown> {
  if (sigma === undefined) return {};
  if (recipe.sigmas === undefined) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `--sigma applies to Gaussian denoising (denoise with durn-p), not ${recipe.name}`,
    );
  }
  return { sigma };
}

/** The recipe's defaults keyed as a TrainConfig stores them. */
function defaults(recipe: TrainingRecipe): NetworkTrainingDefaults {
  return { ...recipe, degradation: recipe.name };
}

export async function prepareRun(
  raw: TrainOptions,
  o: ParsedTrainOptions,
  task: TrainingTask,
  recipeFile?: RecipeRecord,
): Promise<RunSetup> {
  if (o.task !== task.id) {
    throw new DurnBugError(`training options for ${o.task} were given the task ${task.id}`);
  }
  let config: TrainConfig;
  let resumed: Checkpoint | null = null;
  let weights: { sd: StateDict; source: string; provenance: Record<string, unknown> | null };
  if (o.resume) {
    resumed = await loadCheckpoint(resolve(o.resume));
    const c = resumed.state.config;
    const folders = (v: string | readonly string[] | null) =>
      (typeof v === 'string' ? [v] : (v ?? [''])).map((f) => resolve(f)).join('\n');
    const differs = (
      given: string | readonly string[] | undefined,
      stored: string | readonly string[] | null,
    ) => given !== undefined && folders(given) !== folders(stored);
    if (o.task !== c.task || differs(o.data, c.data) || differs(o.pairs, c.pairs)) {
      throw new DurnUserError(
        'INVALID_OPTION',
        `The checkpoint ${o.resume} trains ${c.task} on ${[c.data].flat().join(', ')}${c.pairs ? ` with pairs ${c.pairs}` : ''}, not what was given`,
        { hint: 'Pass the same task and folders as the interrupted run, or leave --data out when resuming.' },
      );
    }
    // A resume continues the stored run; only the length, the cadence and the worker count may change.
    config = {
      ...c,
      steps: raw.steps ?? c.steps,
      valEvery: raw.valEvery ?? c.valEvery,
      checkpointEvery: raw.checkpointEvery ?? c.checkpointEvery,
      workers: raw.workers ?? c.workers,
    };
    weights = {
      sd: initialWeights(getNetwork(c.network), 0),
      source: resumed.state.startWeights,
      provenance: resumed.state.startProvenance ?? null,
    };
  } else {
    if (o.data === undefined) {
      throw new DurnUserError('INVALID_OPTION', 'Training needs --data <folder of photos>', {
        hint: 'Pass the folder of clean photos to train on (or --resume a checkpoint).',
      });
    }
    const network = task.pickNetwork(o.network, o.sigma !== undefined);
    const recipe = task.recipe(network);
    // Options given (a recipe file's), then --sigma.
    const degradationOptions = { ...o.degradationOptions, ...sigmaOption(recipe, o.sigma) };
    weights = await startWeights(o, task, network, o.seed);
    config = resolveConfig(o, network, defaults(recipe), {
      fineTuning: o.from !== 'scratch',
      workers: o.workers ?? availableParallelism(),
      degradationOptions,
      recipe: recipeFile,
    });
  }
  const recipe = task.recipe(config.network);
  // This thread synthesises validation crops; the workers load the task module themselves.
  registerDegradation(config.degradation, recipe.degradation);
  const def = getNetwork(config.network);
  if (config.patch < def.minSide || config.patch % def.sizeMultiple !== 0) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(
        `a multiple of ${def.sizeMultiple} of at least ${def.minSide}`,
        `the patch size of ${def.title}`,
        config.patch,
      ),
    );
  }
  const out = resolve(o.out ?? resumed?.state.out ?? join('.', task.weightsFileName(config.network)));
  const checkpointPath = resolve(
    o.checkpoint ?? o.resume ?? out.replace(/(\.safetensors)?$/, '.ckpt.safetensors'),
  );
  if (!o.resume && !o.overwrite && (await exists(out))) {
    throw new DurnUserError('OUTPUT_EXISTS', `${out} already exists`, {
      file: out,
      hint: 'Choose another --out, pass --overwrite, or --resume its checkpoint.',
    });
  }
  await mkdir(dirname(out), { recursive: true });
  await mkdir(dirname(checkpointPath), { recursive: true });
  const spec: BatchSpec = {
    seed: config.seed,
    batch: config.batch,
    patch: config.patch,
    margin: config.margin,
    channels: def.inChannels as 1 | 3,
    degradation: config.degradation,
    degradationOptions: config.degradationOptions,
  };
  return {
    def,
    config,
    spec,
    startWeights: weights.sd,
    startSource: weights.source,
    startProvenance: weights.provenance,
    resumed,
    out,
    checkpointPath,
  };
}

/** Drops images smaller than `size` (with their partners), reporting them; fails if none remain. */
export function keepUsable(
  images: TrainingImages,
  size: number,
  what: string,
): { images: TrainingImages; dropped: string[] } {
  const ok = images.clean.images.map((i) => i.width >= size && i.height >= size);
  const dropped = images.clean.images
    .filter((_, i) => !ok[i])
    .map((i) => `${i.name} (${i.width}×${i.height})`);
  if (dropped.length === images.clean.images.length) {
    throw new DurnUserError(
      'INVALID_INPUT',
      `No image in ${images.clean.folder} is at least ${size}×${size} pixels, as ${what} needs`,
      {
        file: images.clean.folder,
        hint: 'Use larger photos or a smaller --patch.',
      },
    );
  }
  const filter = (s: ImageSet): ImageSet => ({ ...s, images: s.images.filter((_, i) => ok[i]) });
  return {
    images: { clean: filter(images.clean), degraded: images.degraded ? filter(images.degraded) : null },
    dropped,
  };
}

export async function loadRunImages(
  setup: RunSetup,
): Promise<{ train: TrainingImages; val: TrainingImages; dropped: string[] }> {
  const { config, spec } = setup;
  const loaded = await loadTrainingImages({
    data: config.data,
    pairs: config.pairs ?? undefined,
    channels: spec.channels,
    limit: config.limit ?? undefined,
  });
  const { images: train, dropped } = keepUsable(
    loaded,
    config.patch + 2 * config.margin,
    `a ${config.patch}-pixel patch`,
  );
  const val = config.val
    ? keepUsable(
        await loadTrainingImages({ data: config.val, channels: spec.channels, limit: config.valLimit }),
        setup.def.minSide,
        'validation',
      ).images
    : train;
  return { train, val, dropped };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
