/**
 * What the generic trainer needs of a task. The trainer, validation and `durn eval` know tasks only
 * through these two interfaces; task plugins supply them (src/plugins/training.ts builds a
 * TrainingTask from a plugin), so adding a task never touches this folder.
 */
import type { NetworkId } from '../models/graph/types.ts';
import type { Baseline } from './baselines.ts';
import type { TrainingHyperparameters } from './config.ts';
import type { Degradation } from './degradations/types.ts';
import type { MetricColorSpace } from './metrics.ts';

/** How one network of a task is trained and evaluated: its damage model, loss and defaults. */
export interface TrainingRecipe extends TrainingHyperparameters {
  /**
   * The degradation's key: stored in checkpoints, named in eval reports, and the key under which
   * the task module's `degradations` export holds it (e.g. 'denoise-gray').
   */
  readonly name: string;
  /** Synthesises degraded inputs from clean crops (ignored with real pairs). */
  readonly degradation: Degradation<unknown>;
  /** Where PSNR and SSIM are measured (the paper's colour space for the task). */
  readonly colorSpace: MetricColorSpace;
  /**
   * Gaussian-noise recipes only: `--sigma` sets the degradation's `sigma`, and `durn eval` runs one
   * pass per σ, these by default (the paper's levels).
   */
  readonly sigmas?: readonly number[];
  /**
   * What `npm run eval` measures, one evaluation each, when it is not the training degradation
   * under the recipe's name (e.g. the colour denoiser trains on a mix that includes clean photos
   * and is measured on each noise alone). `durn eval` uses the first unless --degradation names
   * another (by evaluation id or degradation name).
   */
  readonly evaluations?: readonly RecipeEvaluation[];
  /** Classical baselines `durn eval` scores beside the network. */
  readonly baselines?: readonly Baseline[];
  /** `npm run eval`: evaluate on every test image (the paper's protocol) rather than the first `limit`. */
  readonly evalAllImages?: boolean;
}

/** One synthetic evaluation of a network. */
export interface RecipeEvaluation {
  /** The evaluation's name in reports (`npm run eval --only`, docs/examples/<id>.jpg). */
  readonly id: string;
  /** Registered under its own name (`degradation.name`). */
  readonly degradation: Degradation<unknown>;
}

/** A task as the trainer sees it. */
export interface TrainingTask {
  readonly id: string;
  /**
   * URL of the module whose `degradations` export holds every recipe's degradation under its name:
   * training worker threads import it to synthesise their share of each batch.
   */
  readonly module: string;
  /** The network `--network` names (an id, or grey/rgb), else the one `gaussian` (--sigma) implies, else the default. */
  pickNetwork(network: string | undefined, gaussian: boolean): NetworkId;
  /** The recipe of one of the task's networks (a DurnUserError when it has none). */
  recipe(network: NetworkId): TrainingRecipe;
  /** The installed weights file of `network` (`--from default`, eval), or WEIGHTS_MISSING. */
  installedWeights(network: NetworkId): string;
  /** The default weights file name of `network` (the default `--out`). */
  weightsFileName(network: NetworkId): string;
}
