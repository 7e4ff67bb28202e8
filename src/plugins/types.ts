/**
 * A task plugin: everything that makes one restoration task (denoise, deblur…): which network
 * and weights file, how to tile it, which options it takes, how to adapt the photo's channels to
 * the network and back, and how each network is trained and evaluated (its damage model, loss and
 * defaults: the TrainingRecipe the generic trainer takes).
 *
 * Adding a task is one folder `src/plugins/<id>/index.ts` exporting `plugin` and `degradations`
 * (the registry discovers it); a folder elsewhere is added with `registerPluginFolder`.
 */
import type { z } from 'zod';
import type { ImageTensor } from '../models/engines/types.ts';
import type { NetworkDefinition, NetworkId } from '../models/graph/types.ts';
import type { TrainingRecipe } from '../training/recipe.ts';

/** Tile size and overlap for one network (see src/pipeline/tiling/plan.ts for their meaning). */
export interface TilingDefaults {
  /** Largest tile side the network sees, in pixels (before padding to its size multiple). */
  readonly tile: number;
  /** Context in pixels each tile reads beyond the part of the output it owns. */
  readonly overlap: number;
  /** Why these numbers (shown by `durn presets show`). */
  readonly note: string;
}

export interface ChannelSupport {
  /** 'native': a network takes 1 channel; 'replicated': grey is copied to RGB and averaged back. */
  readonly grey: 'native' | 'replicated';
  readonly note: string;
}

/** The options every built-in task accepts. Plugins may extend it. */
export interface BaseTaskOptions {
  /** 0 keeps the input, 1 the network's result; in between blends them linearly. */
  readonly strength: number;
}

export interface StepContext<O> {
  readonly network: NetworkDefinition;
  readonly options: O;
}

export interface TaskPlugin<O extends BaseTaskOptions = BaseTaskOptions> {
  /** The folder name, and what users type: `durn run denoise`. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** Listing order (the paper's order for built-ins). */
  readonly order: number;
  /** Every network the task may use, in the order `networkFor` prefers them. */
  readonly networks: readonly NetworkId[];
  /** Networks the task defines itself (not one of the paper's six): registered with the plugin. */
  readonly definitions?: readonly NetworkDefinition[];
  /** How each network is trained and evaluated (`durn train`/`durn eval`); absent: restore only. */
  readonly training?: Readonly<Partial<Record<NetworkId, TrainingRecipe>>>;
  networkFor(image: { readonly channels: 1 | 3 }): NetworkId;
  /** Default weights file name per network, looked up in the models folders. */
  readonly defaultWeights: Readonly<Partial<Record<NetworkId, string>>>;
  readonly channels: ChannelSupport;
  readonly tiling: Readonly<Partial<Record<NetworkId, TilingDefaults>>>;
  /** Validates (and fills defaults for) the task's options; `{}` is always valid. */
  readonly options: z.ZodType<O, unknown>;
  /**
   * Turns (a tile of) the photo into the network's input: channel adaptation. Pointwise, so the
   * pipeline may apply it per tile or to the whole image.
   */
  preprocess(image: ImageTensor, ctx: StepContext<O>): ImageTensor;
  /**
   * Turns the network's output back into the photo's channels, blends by strength with `input`
   * (the same region before `preprocess`) and clamps to [0, 1]. Pointwise, like `preprocess`.
   */
  postprocess(output: ImageTensor, input: ImageTensor, ctx: StepContext<O>): ImageTensor;
}
