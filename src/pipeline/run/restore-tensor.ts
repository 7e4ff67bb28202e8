/**
 * One image through a chain of steps: per step, the plugin adapts channels, the image is cut into
 * tiles with enough context for the network, tiles run in the worker pool (a bounded number in
 * flight, so memory holds a few tiles whatever the image size), and outputs are blended back.
 */
import { DurnUserError } from '../../core/errors.ts';
import { release } from '../../core/memory.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import { bytesPerPixel } from '../../models/graph/memory.ts';
import type { GraphStatistics } from '../../models/graph/statistics.ts';
import type { NetworkId } from '../../models/graph/types.ts';
import { getNetwork } from '../../models/networks/index.ts';
import type { BaseTaskOptions, TaskPlugin } from '../../plugins/types.ts';
import type { RunEventListener } from '../events.ts';
import type { TilePool } from '../pool/pool.ts';
import { chooseTile, type TileBudget, type TileChoice, tileBudget } from '../tiling/choose.ts';
import { planInputFor, planTiles, Stitcher } from '../tiling/index.ts';
import { type PixelSource, readRows, tensorSource } from '../tiling/source.ts';
import { statisticsInput } from '../tiling/statistics.ts';
import { padReflect } from '../tiling/tensor.ts';
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
  /**
   * Networks with instance norms or global pools, when tiled: 'frozen' (default) collects their
   * statistics over the whole image (or a shrunk copy) first and every tile uses them; 'tile'
   * lets each tile compute its own (seams; kept for comparison).
   */
  readonly statistics?: 'frozen' | 'tile';
  /** Largest image the statistics pass runs on; larger images are shrunk by a whole factor. */
  readonly statisticsPixels?: number;
  /** Memory for the tiles in flight, bytes (--tile-memory); default: from free RAM. */
  readonly tileMemory?: number;
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

/**
 * Finished rows of the result, top to bottom: `rows.height` rows starting at image row `y`. The
 * rows are the sink's during the call only: their memory is freed when it returns.
 */
export type RowSink = (rows: ImageTensor, y: number) => void;

export async function restoreTensor(
  image: ImageTensor,
  steps: readonly ResolvedStep[],
  ctx: TensorContext,
): Promise<ImageTensor> {
  const out = await restoreSteps(image, steps, ctx);
  if (!out) throw new DurnUserError('ABORTED', 'The step finished without output');
  return out;
}

/**
 * As restoreTensor, but the last step's result goes to `sink` band by band as tiles finish, so
 * the full result is never held (memory: the input, a band of rows a tile tall, tiles in flight).
 * The input may be a source read region by region (a decoded photo kept compact): the first step
 * then converts only each tile and band it reads to float.
 */
export async function restoreTensorTo(
  image: ImageTensor | PixelSource,
  steps: readonly ResolvedStep[],
  ctx: TensorContext,
  sink: RowSink,
): Promise<void> {
  await restoreSteps(image, steps, ctx, sink);
}

async function restoreSteps(
  image: ImageTensor | PixelSource,
  steps: readonly ResolvedStep[],
  ctx: TensorContext,
  sink?: RowSink,
): Promise<ImageTensor | undefined> {
  let current: ImageTensor | PixelSource | undefined = image;
  for (const [index, step] of steps.entries()) {
    const started = performance.now();
    const source: PixelSource = 'read' in current! ? current : tensorSource(current!);
    current = await runStep(source, step, index, ctx, index === steps.length - 1 ? sink : undefined);
    ctx.emit({
      type: 'step-done',
      file: ctx.file,
      step: index,
      seconds: (performance.now() - started) / 1000,
    });
  }
  return current && 'read' in current ? readRows(current, 0, current.height) : current;
}

async function runStep(
  image: PixelSource,
  step: ResolvedStep,
  index: number,
  ctx: TensorContext,
  sink?: RowSink,
): Promise<ImageTensor | undefined> {
  const { plugin } = step;
  const network = getNetwork(plugin.networkFor({ channels: image.channels === 1 ? 1 : 3 }));
  const weightsPath = step.weights[network.id];
  if (!weightsPath)
    throw new DurnUserError(
      'WEIGHTS_MISSING',
      `No weights resolved for ${plugin.id} (network ${network.id})`,
    );
  // The user's overlap, else the plugin's (capped to what a user's tile allows); the tile from memory.
  const { overlap } = tilingFor(plugin, network.id, ctx.tiling);
  // CPU workers size tiles from free RAM; a GPU from its own free memory (tiling/choose.ts).
  const choose = async () => {
    const memory = await ctx.pool.tileMemory(network.id, weightsPath, ctx.signal);
    const budget = tileBudget(memory, ctx.tiling?.tileMemory);
    const choice = chooseTile({
      width: image.width,
      height: image.height,
      sizeMultiple: network.sizeMultiple,
      minSide: network.minSide,
      bytesPerPixel: bytesPerPixel(network.graph),
      overlap,
      workers: ctx.pool.workers,
      threads: ctx.pool.workers * ctx.pool.threadsPerWorker,
      freeBytes: budget.freeBytes,
      budget,
      ...(ctx.tiling?.tile === undefined ? {} : { tile: ctx.tiling.tile }),
    });
    return { budget, choice };
  };
  let chosen = await choose();
  // Tiled steps take the pool in turn (another file's whole images still run beside them): the
  // memory and threads a step chooses are then its own. Chosen again once its turn has come.
  const endTurn = chosen.choice.whole ? undefined : await ctx.pool.tiledTurn(ctx.signal);
  try {
    if (endTurn) chosen = await choose();
    return await runChosen(image, step, index, ctx, { network, weightsPath, overlap, ...chosen }, sink);
  } finally {
    endTurn?.();
  }
}

async function runChosen(
  image: PixelSource,
  step: ResolvedStep,
  index: number,
  ctx: TensorContext,
  chosen: {
    network: ReturnType<typeof getNetwork>;
    weightsPath: string;
    overlap: number;
    budget: TileBudget;
    choice: TileChoice;
  },
  sink?: RowSink,
): Promise<ImageTensor | undefined> {
  const { plugin, options } = step;
  const { network, weightsPath, overlap, budget, choice } = chosen;
  // A whole image has no neighbours: its overlap only has to pass the plan's checks.
  const tiling = { tile: choice.whole ? Math.max(choice.tile, 2 * overlap + 64) : choice.tile, overlap };
  // Frozen statistics make a global-statistics network local: plan (blend) as for one.
  const freeze =
    network.globalStatistics &&
    (ctx.tiling?.statistics ?? 'frozen') === 'frozen' &&
    planTiles(planInputFor(network, image, tiling)).tiles.length > 1;
  const plan = planTiles(
    planInputFor({ ...network, globalStatistics: network.globalStatistics && !freeze }, image, tiling),
  );
  // One tile alone gets every thread of the pool; tiles in parallel the choice's share each.
  const threads = plan.tiles.length === 1 ? ctx.pool.soloThreads : choice.threads;
  const stepCtx = { network, options };
  // preprocess is pointwise: applied to each region as it is read, never to the whole image.
  const input: PixelSource = {
    width: image.width,
    height: image.height,
    channels: network.inChannels,
    read: (rect) => {
      const region = image.read(rect);
      const x = plugin.preprocess(region, stepCtx);
      if (x.data.buffer !== region.data.buffer) release(region.data); // not a view of it
      return x;
    },
  };
  let statistics: GraphStatistics | undefined;
  let statisticsFactor: number | undefined;
  if (freeze) {
    await ctx.gate?.wait(ctx.signal);
    throwIfAborted(ctx.signal);
    // The statistics pass runs alone, with every thread, within the whole-image memory cap.
    const pixels = Math.min(budget.freeBytes / 2, budget.wholeCap) / bytesPerPixel(network.graph);
    const source = statisticsInput(input, network, ctx.tiling?.statisticsPixels ?? pixels);
    statistics = await ctx.pool.collectStatistics(
      network.id,
      weightsPath,
      source.image,
      ctx.signal,
      ctx.pool.soloThreads,
    );
    statisticsFactor = source.factor;
  }
  // Streaming: the plugin's postprocess is pixel-local, so it runs per band with the matching
  // rows of the step's input.
  const stitcher = new Stitcher(
    plan,
    network.outChannels,
    sink
      ? {
          onRows: (rows, y) => {
            const before = readRows(image, y, rows.height);
            const out = plugin.postprocess(rows, before, stepCtx);
            sink(out, y);
            release(rows.data, before.data, out.data); // the sink has taken what it needs
          },
        }
      : {},
  );
  // The streaming stitcher takes tiles in plan order; outputs finishing early wait here.
  const waiting = new Map<number, ImageTensor>();
  let nextToStitch = 0;
  const stitch = (index: number, out: ImageTensor) => {
    waiting.set(index, out);
    for (let o = waiting.get(nextToStitch); o; o = waiting.get(nextToStitch)) {
      waiting.delete(nextToStitch);
      stitcher.add(plan.tiles[nextToStitch]!, o);
      release(o.data); // accumulated: the tile's output is dead
      nextToStitch += 1;
    }
  };
  const total = plan.tiles.length;
  ctx.emit({
    type: 'step-start',
    file: ctx.file,
    step: index,
    task: plugin.id,
    network: network.id,
    tiles: total,
    tile: plan.tiles.length === 1 ? Math.max(plan.width, plan.height) : plan.tile,
    tileReason: choice.reason,
    ...(statisticsFactor === undefined ? {} : { statisticsScale: 1 / statisticsFactor }),
  });

  // Keep the pool busy with a bounded window of tiles in flight.
  let next = 0;
  let done = 0;
  let failed = false;
  const worker = async () => {
    while (next < total && !failed) {
      await ctx.gate?.wait(ctx.signal);
      throwIfAborted(ctx.signal);
      // Another lane may have taken the last tile while this one waited.
      if (next >= total || failed) break;
      const tile = plan.tiles[next++]!;
      // A read is a new buffer, so the pool may take it.
      const region = input.read(tile.input);
      const x = padReflect(region, tile.pads);
      if (x !== region) release(region.data);
      const out = await ctx.pool
        .run(network.id, weightsPath, x, {
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          ...(statistics ? { statistics } : {}),
          ...(threads ? { threads } : {}),
          // Large tiles with every thread: the worker keeps no other session's arena beside them.
          ...(choice.threads ? { sole: true } : {}),
        })
        .catch((err: unknown) => {
          failed = true; // the other lanes stop taking tiles
          throw err;
        });
      stitch(tile.index, out);
      done += 1;
      ctx.emit({ type: 'tile-done', file: ctx.file, step: index, done, total });
    }
  };
  // Fewer lanes than workers: no tile waits ahead (it would run beside them on another worker).
  const lanes = Math.min(total, choice.lanes < ctx.pool.workers ? choice.lanes : ctx.pool.capacity);
  const results = await Promise.allSettled(Array.from({ length: lanes }, worker));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  throwIfAborted(ctx.signal);
  const output = stitcher.finish();
  if (sink) return undefined;
  if (!output) throw new DurnUserError('ABORTED', 'The step finished without output');
  return plugin.postprocess(output, readRows(image, 0, image.height), stepCtx);
}
