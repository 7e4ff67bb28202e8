/**
 * One image through a chain of steps: per step, the plugin adapts channels, the image is cut into
 * tiles with enough context for the network, tiles run in the worker pool (a bounded number in
 * flight, so memory holds a few tiles whatever the image size), and outputs are blended back.
 */
import { DurnUserError } from '../../core/errors.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { NetworkId } from '../../models/graph/types.ts';
import { getNetwork } from '../../models/networks/index.ts';
import type { BaseTaskOptions, TaskPlugin } from '../../plugins/types.ts';
import type { RunEventListener } from '../events.ts';
import type { TilePool } from '../pool/pool.ts';
import { planInputFor, planTiles, Stitcher, tileInput } from '../tiling/index.ts';
import type { Gate } from './gate.ts';
import { tilingFor } from './preflight.ts';

export interface ResolvedStep {
  readonly plugin: TaskPlugin;
  readonly options: BaseTaskOptions;
  /** Weights file per network the step may use (resolved before the run starts). */
  readonly weights: Readonly<Partial<Record<NetworkId, string>>>;
}

export interface TilingOverride {
  readonly tile?: number;
  readonly overlap?: number;
}

export interface TensorContext {
  readonly pool: TilePool;
  readonly file: string;
  readonly emit: RunEventListener;
  readonly signal?: AbortSignal;
  readonly gate?: Gate;
  readonly tiling?: TilingOverride;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new DurnUserError('ABORTED', 'The run was cancelled');
}

export async function restoreTensor(
  image: ImageTensor,
  steps: readonly ResolvedStep[],
  ctx: TensorContext,
): Promise<ImageTensor> {
  let current = image;
  for (const [index, step] of steps.entries()) {
    const started = performance.now();
    current = await runStep(current, step, index, ctx);
    ctx.emit({
      type: 'step-done',
      file: ctx.file,
      step: index,
      seconds: (performance.now() - started) / 1000,
    });
  }
  return current;
}

async function runStep(
  image: ImageTensor,
  step: ResolvedStep,
  index: number,
  ctx: TensorContext,
): Promise<ImageTensor> {
  const { plugin, options } = step;
  const network = getNetwork(plugin.networkFor({ channels: image.channels === 1 ? 1 : 3 }));
  const weightsPath = step.weights[network.id];
  if (!weightsPath)
    throw new DurnUserError(
      'WEIGHTS_MISSING',
      `No weights resolved for ${plugin.id} (network ${network.id})`,
    );
  const plan = planTiles(planInputFor(network, image, tilingFor(plugin, network.id, ctx.tiling)));
  const stepCtx = { network, options };
  const input = plugin.preprocess(image, stepCtx);
  const stitcher = new Stitcher(plan, network.outChannels);
  const total = plan.tiles.length;
  ctx.emit({
    type: 'step-start',
    file: ctx.file,
    step: index,
    task: plugin.id,
    network: network.id,
    tiles: total,
  });

  // Keep the pool busy with a bounded window of tiles in flight.
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async () => {
    while (next < total && !failed) {
      await ctx.gate?.wait(ctx.signal);
      throwIfAborted(ctx.signal);
      const tile = plan.tiles[next++]!;
      let x = tileInput(input, tile);
      // The pool takes the tile's buffer; never hand it the image's own.
      if (x.data.buffer === input.data.buffer || x.data.buffer === image.data.buffer)
        x = { ...x, data: x.data.slice() };
      const out = await ctx.pool.run(network.id, weightsPath, x, ctx.signal).catch((err: unknown) => {
        failed = true; // the other lanes stop taking tiles
        throw err;
      });
      stitcher.add(tile, out);
      done += 1;
      ctx.emit({ type: 'tile-done', file: ctx.file, step: index, done, total });
    }
  };
  const lanes = Math.min(total, ctx.pool.capacity);
  const results = await Promise.allSettled(Array.from({ length: lanes }, worker));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  throwIfAborted(ctx.signal);
  const output = stitcher.finish();
  if (!output) throw new DurnUserError('ABORTED', 'The step finished without output');
  return plugin.postprocess(output, image, stepCtx);
}
