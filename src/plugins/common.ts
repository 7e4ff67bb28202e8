/**
 * What the built-in tasks share: the `strength` option, channel adaptation between the photo and
 * the network, and the final blend + clamp. A plugin folder describes its task and calls
 * `defineTaskPlugin`, and exports `degradationsOf(plugin)` as `degradations`.
 */
import { z } from 'zod';
import { DurnUserError, invariant } from '../core/errors.ts';
import { numberBetween } from '../core/validation.ts';
import type { ImageTensor } from '../models/engines/types.ts';
import type { NetworkDefinition, NetworkId } from '../models/graph/types.ts';
import type { Degradation } from '../training/degradations/types.ts';
import type { TrainingRecipe } from '../training/recipe.ts';
import type { BaseTaskOptions, ChannelSupport, StepContext, TaskPlugin, TilingDefaults } from './types.ts';

export const baseOptions = z
  .object({
    strength: numberBetween(0, 1).default(1),
  })
  .strict();

export interface TaskDescription {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly order: number;
  /** Network for grey photos and for colour photos (the same id when one network does both). */
  readonly network: { readonly grey: NetworkId; readonly colour: NetworkId };
  readonly defaultWeights: Readonly<Partial<Record<NetworkId, string>>>;
  readonly channels: ChannelSupport;
  readonly tiling: Readonly<Partial<Record<NetworkId, TilingDefaults>>>;
  readonly definitions?: readonly NetworkDefinition[];
  readonly training?: Readonly<Partial<Record<NetworkId, TrainingRecipe>>>;
}

export function defineTaskPlugin(d: TaskDescription): TaskPlugin<BaseTaskOptions> {
  const networks = [...new Set([d.network.colour, d.network.grey])];
  for (const n of networks) {
    invariant(d.defaultWeights[n], `task ${d.id} has no default weights for ${n}`);
    invariant(d.tiling[n], `task ${d.id} has no tiling defaults for ${n}`);
  }
  return {
    id: d.id,
    title: d.title,
    description: d.description,
    order: d.order,
    networks,
    networkFor: (image) => (image.channels === 1 ? d.network.grey : d.network.colour),
    defaultWeights: d.defaultWeights,
    channels: d.channels,
    tiling: d.tiling,
    ...(d.definitions ? { definitions: d.definitions } : {}),
    ...(d.training ? { training: d.training } : {}),
    options: baseOptions,
    preprocess: (image, ctx) => toChannels(image, ctx.network.inChannels),
    postprocess: (output, input, ctx) => finish(output, input, ctx),
  };
}

/**
 * The `degradations` export a plugin module needs beside `plugin`: its recipes' degradations by
 * key. Training worker threads import the module and read it (src/training/degradations).
 */
export function degradationsOf(plugin: TaskPlugin): Record<string, Degradation<unknown>> {
  const out: Record<string, Degradation<unknown>> = {};
  for (const r of Object.values(plugin.training ?? {})) if (r) out[r.name] = r.degradation;
  return out;
}

/** Grey → colour by replication; colour → colour and grey → grey unchanged. */
export function toChannels(image: ImageTensor, channels: number): ImageTensor {
  assertPhotoChannels(image);
  if (image.channels === channels) return image;
  invariant(image.channels === 1 && channels === 3, `cannot adapt ${image.channels} channels to ${channels}`);
  const plane = image.height * image.width;
  const data = new Float32Array(3 * plane);
  data.set(image.data, 0);
  data.set(image.data, plane);
  data.set(image.data, 2 * plane);
  return { data, channels: 3, height: image.height, width: image.width };
}

/**
 * Back to the photo's channel count (colour output on a grey photo → the mean of R, G and B),
 * blended with the input by strength and clamped to [0, 1]. Non-finite output means broken
 * weights; writing it would silently ruin a photo, so it is an error.
 */
export function finish(
  output: ImageTensor,
  input: ImageTensor,
  ctx: StepContext<BaseTaskOptions>,
): ImageTensor {
  assertPhotoChannels(input);
  invariant(
    output.height === input.height && output.width === input.width,
    `network output ${output.width}×${output.height} does not match its input ${input.width}×${input.height}`,
  );
  const plane = input.height * input.width;
  const c = input.channels;
  invariant(
    output.channels === c || (c === 1 && output.channels === 3),
    `cannot map ${output.channels} output channels onto a ${c}-channel photo`,
  );
  const s = ctx.options.strength;
  const out = new Float32Array(c * plane);
  const o = output.data;
  const averaging = output.channels !== c;
  let bad = 0;
  for (let i = 0; i < c * plane; i++) {
    const y = averaging ? (o[i]! + o[i + plane]! + o[i + 2 * plane]!) / 3 : o[i]!;
    if (!Number.isFinite(y)) bad++;
    const x = input.data[i]!;
    const v = x + s * (y - x);
    out[i] = Math.min(1, Math.max(0, v));
  }
  if (bad > 0) {
    throw new DurnUserError(
      'WEIGHTS_MISMATCH',
      `The ${ctx.network.title} network produced ${bad} non-finite values (NaN or infinity); nothing was written`,
      { hint: 'the weights file is probably corrupt or for another network; re-import or retrain it' },
    );
  }
  return { data: out, channels: c, height: input.height, width: input.width };
}

function assertPhotoChannels(image: ImageTensor): void {
  invariant(
    image.channels === 1 || image.channels === 3,
    `tasks take 1 or 3 channel images (alpha is kept aside by the image reader); got ${image.channels}`,
  );
  invariant(image.data.length === image.channels * image.height * image.width, 'image tensor size mismatch');
}
