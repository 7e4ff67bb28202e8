/**
 * Everything a run needs before its first step, from options or from a checkpoint: the network,
 * the resolved config, the starting weights, the decoded images and the validation set.
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { DurnUserError, expected } from '../../errors.ts';
import { userModelsDir } from '../../pipeline/config.ts';
import { writeFileAtomic } from '../../pipeline/fs/atomic.ts';
import { getPlugin } from '../../plugins/registry.ts';
import { defaultWeightsFile, resolveWeights } from '../../plugins/weights-path.ts';
import type { NetworkDefinition, NetworkId } from '../graph/types.ts';
import { getNetwork } from '../networks/index.ts';
import { initialWeights } from '../weights/init.ts';
import { loadWeights } from '../weights/safetensors.ts';
import type { StateDict } from '../weights/types.ts';
import { type Checkpoint, loadCheckpoint } from './checkpoint.ts';
import { type ParsedTrainOptions, resolveConfig, type TrainConfig, type TrainOptions } from './config.ts';
import type { BatchSpec } from './data/batches.ts';
import { type ImageSet, loadTrainingImages, type TrainingImages } from './data/images.ts';

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

const NOISE_TASKS = new Set(['denoise-gray']);

const ALIASES: Record<string, 1 | 3> = { gray: 1, grey: 1, rgb: 3, color: 3, colour: 3 };

/**
 * The task's network: --network (an id, or gray/rgb for the task's network for that channel
 * count); else the grey one when --sigma asks for Gaussian noise; else the task's first.
 */
export function taskNetwork(task: string, network: string | undefined, gaussian = false): NetworkId {
  const plugin = getPlugin(task);
  const alias = network === undefined ? undefined : ALIASES[network.toLowerCase()];
  const id = (
    alias !== undefined
      ? plugin.networkFor({ channels: alias })
      : (network ?? (gaussian ? plugin.networkFor({ channels: 1 }) : plugin.networks[0]))
  ) as NetworkId;
  if (!plugin.networks.includes(id)) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(`one of ${plugin.networks.join(', ')}`, `the network of ${task}`, network),
    );
  }
  return id;
}

async function startWeights(
  o: ParsedTrainOptions,
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
      path = resolveWeights(getPlugin(o.task), network).path;
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

function degradationOptions(o: ParsedTrainOptions, degradation: string): Record<string, unknown> {
  if (o.sigma === undefined) return {};
  if (!NOISE_TASKS.has(degradation)) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `--sigma applies to Gaussian denoising (denoise with durn-p), not ${degradation}`,
    );
  }
  return { sigma: o.sigma };
}

export async function prepareRun(raw: TrainOptions, o: ParsedTrainOptions): Promise<RunSetup> {
  let config: TrainConfig;
  let resumed: Checkpoint | null = null;
  let weights: { sd: StateDict; source: string; provenance: Record<string, unknown> | null };
  if (o.resume) {
    resumed = await loadCheckpoint(resolve(o.resume));
    const c = resumed.state.config;
    const differs = (given: string | undefined, stored: string | null) =>
      given !== undefined && resolve(given) !== resolve(stored ?? '');
    if (o.task !== c.task || differs(o.data, c.data) || differs(o.pairs, c.pairs)) {
      throw new DurnUserError(
        'INVALID_OPTION',
        `The checkpoint ${o.resume} trains ${c.task} on ${c.data}${c.pairs ? ` with pairs ${c.pairs}` : ''}, not what was given`,
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
    const network = taskNetwork(o.task, o.network, o.sigma !== undefined);
    weights = await startWeights(o, network, o.seed);
    const degradation = resolveConfig(o, network, {
      fineTuning: false,
      workers: 1,
      degradationOptions: {},
    }).degradation;
    config = resolveConfig(o, network, {
      fineTuning: o.from !== 'scratch',
      workers: o.workers ?? availableParallelism(),
      degradationOptions: degradationOptions(o, degradation),
    });
  }
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
  const out = resolve(
    o.out ?? resumed?.state.out ?? join('.', defaultWeightsFile(getPlugin(config.task), config.network)),
  );
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

/**
 * `durn models install`: copies a weights file into the user models folder under the default file
 * name of its task and network, after validating it.
 */
export async function installWeights(
  file: string,
  task?: string,
  opts: { overwrite?: boolean } = {},
): Promise<string> {
  const weights = await loadWeights(resolve(file));
  const id = task ?? weights.metadata.task;
  if (!id) {
    throw new DurnUserError('INVALID_OPTION', `${basename(file)} does not name its task`, {
      file,
      hint: 'Pass the task with --task (e.g. --task denoise).',
    });
  }
  const plugin = getPlugin(id);
  if (!plugin.networks.includes(weights.metadata.arch)) {
    throw new DurnUserError(
      'WEIGHTS_MISMATCH',
      expected(`weights for ${plugin.networks.join(' or ')}`, `the task ${id}`, weights.metadata.arch),
      {
        file,
      },
    );
  }
  const dir = userModelsDir();
  await mkdir(dir, { recursive: true });
  const target = join(dir, defaultWeightsFile(plugin, weights.metadata.arch));
  if (resolve(file) === target) return target; // already installed: nothing to copy
  // An installed file may be the only copy of a user's training: replacing it is asked for.
  if (!opts.overwrite && (await exists(target))) {
    throw new DurnUserError(
      'OUTPUT_EXISTS',
      `Expected a free weights file for the task ${id} but ${target} already exists`,
      {
        file: target,
        hint: 'Pass --overwrite to replace it (or keep it and pass your file with --weights).',
      },
    );
  }
  await writeFileAtomic(target, await readFile(resolve(file)), { overwrite: opts.overwrite ?? false });
  return target;
}
