/**
 * `durn train <task>` / `durn eval <task>` as library calls: resolve the task plugin, describe it
 * to the generic trainer (src/training knows tasks only as a TrainingTask) and call it.
 */
import { DurnUserError, expected } from '../core/errors.ts';
import type { BuiltinNetworkId, NetworkId } from '../models/graph/types.ts';
import { getNetwork } from '../models/networks/index.ts';
import { type NetworkTrainingDefaults, parseTrainOptions, type TrainOptions } from '../training/config.ts';
import type { Degradation } from '../training/degradations/types.ts';
import {
  type EvalOptions,
  type EvalResult,
  evaluateNetwork,
  parseEvalOptions,
} from '../training/eval-run.ts';
import type { TrainingRecipe, TrainingTask } from '../training/recipe.ts';
import { withRecipe } from '../training/recipe-file.ts';
import { type TrainHooks, type TrainResult, trainNetwork } from '../training/trainer.ts';
import { getPlugin, listPlugins, pluginModule } from './registry.ts';
import type { TaskPlugin } from './types.ts';
import { defaultWeightsFile, resolveWeights } from './weights-path.ts';

const ALIASES: Record<string, 1 | 3> = { gray: 1, grey: 1, rgb: 3, color: 3, colour: 3 };

/**
 * The task's network: --network (an id, or gray/rgb for the task's network for that channel
 * count); else the grey one when --sigma asks for Gaussian noise; else the task's first.
 */
export function taskNetwork(task: string, network: string | undefined, gaussian = false): NetworkId {
  const plugin = getPlugin(task);
  const alias = network === undefined ? undefined : ALIASES[network.toLowerCase()];
  const id =
    alias !== undefined
      ? plugin.networkFor({ channels: alias })
      : (network ?? (gaussian ? plugin.networkFor({ channels: 1 }) : plugin.networks[0]!));
  if (!plugin.networks.includes(id)) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(`one of ${plugin.networks.join(', ')}`, `the network of ${task}`, network),
    );
  }
  return id;
}

/** The task plugin as the generic trainer sees it. */
export function trainingTask(plugin: TaskPlugin): TrainingTask {
  return {
    id: plugin.id,
    module: pluginModule(plugin.id),
    pickNetwork: (network, gaussian) => taskNetwork(plugin.id, network, gaussian),
    recipe(network): TrainingRecipe {
      const recipe = plugin.training?.[network];
      if (!recipe) {
        throw new DurnUserError('INVALID_OPTION', `The task ${plugin.id} does not train ${network}`, {
          hint: `networks it trains: ${Object.keys(plugin.training ?? {}).join(', ') || 'none'}`,
        });
      }
      return recipe;
    },
    installedWeights: (network) => resolveWeights(plugin, network).path,
    weightsFileName: (network) => defaultWeightsFile(plugin, network),
  };
}

/**
 * Trains one network of `options.task` (see src/training/trainer.ts), or of the recipe file
 * `options.recipe` names (src/training/recipe-file.ts), with the options given beside it on top.
 */
export async function train(given: TrainOptions, hooks: TrainHooks = {}): Promise<TrainResult> {
  const { options, record } = await withRecipe(given, (id) => trainingTask(getPlugin(id)));
  const task = trainingTask(getPlugin(parseTrainOptions(options).task));
  return trainNetwork(options, task, hooks, record);
}

/** Evaluates one network of `options.task` (see src/training/eval-run.ts). */
export function evaluateModel(
  options: EvalOptions,
  onImage?: (done: number, total: number) => void,
): Promise<EvalResult> {
  const task = trainingTask(getPlugin(parseEvalOptions(options).task));
  return evaluateNetwork(options, task, onImage);
}

/** Every network's recipe, by network, in task order. */
export function allRecipes(): { plugin: TaskPlugin; network: NetworkId; recipe: TrainingRecipe }[] {
  return listPlugins().flatMap((plugin) =>
    Object.entries(plugin.training ?? {}).flatMap(([network, recipe]) =>
      recipe ? [{ plugin, network: network as NetworkId, recipe }] : [],
    ),
  );
}

/** The training defaults per network, as the plugins give them (the library's NETWORK_DEFAULTS). */
export const NETWORK_DEFAULTS: Readonly<Record<BuiltinNetworkId, NetworkTrainingDefaults>> &
  Readonly<Partial<Record<NetworkId, NetworkTrainingDefaults>>> = Object.fromEntries(
  allRecipes().map(({ network, recipe: r }) => [
    network,
    {
      degradation: r.name,
      loss: r.loss,
      lr: r.lr,
      patch: r.patch,
      batch: r.batch,
      schedule: r.schedule,
      margin: r.margin,
      valPatch: r.valPatch,
    },
  ]),
) as Record<BuiltinNetworkId, NetworkTrainingDefaults>;

/** Which degradation synthesises training pairs for each recipe, and the channels it trains on. */
export function degradationTable(): Record<string, { degradation: Degradation<unknown>; channels: 1 | 3 }> {
  return Object.fromEntries(
    allRecipes().map(({ network, recipe }) => [
      recipe.name,
      { degradation: recipe.degradation, channels: getNetwork(network).inChannels as 1 | 3 },
    ]),
  );
}
