/**
 * The tile pool: worker threads (piscina), each holding its model session, fed tiles by
 * transfer. Callers bound how many tiles are in flight; the pool itself never buffers images.
 *
 * Cancelling never terminates a worker: a thread torn down while ONNX Runtime's native run() is
 * in flight aborts the whole process ("terminate called after throwing Napi::Error"). A tile is
 * handed to piscina only when a worker is free (so nothing waits in piscina's queue), an abort
 * abandons the tile's result at once, and close() waits for tiles still running before the
 * threads are ended.
 */
import { availableParallelism, freemem } from 'node:os';
import { Piscina } from 'piscina';
import { type DurnErrorCode, DurnUserError } from '../../core/errors.ts';
import { release } from '../../core/memory.ts';
import { nvidiaDriverPresent, settingsFromEnv } from '../../models/engines/index.ts';
import type {
  DeviceChoice,
  DeviceMemory,
  EngineChoice,
  ImageTensor,
  Precision,
} from '../../models/engines/types.ts';
import type { GraphStatistics } from '../../models/graph/statistics.ts';
import type { NetworkId } from '../../models/graph/types.ts';
import { getNetwork, isBuiltinNetwork } from '../../models/networks/index.ts';
import type { TileMemory } from '../tiling/choose.ts';
import type { SerializedError, StatisticsResult, TileResult, TileTask } from './protocol.ts';
import { moveWith } from './transfer.ts';

export interface PoolOptions {
  /** Worker threads; default: one per core. */
  readonly workers?: number;
  readonly engine?: EngineChoice;
  readonly device?: DeviceChoice;
  /** torch engine: fp32 or bf16 autocast (CUDA, or a CPU with native bf16). */
  readonly precision?: Precision;
  /** Intra-op threads per worker; default: cores / workers (1 per worker in a full pool). */
  readonly threadsPerWorker?: number;
  /** Called once per distinct notice (e.g. "CUDA not available, using CPU"). */
  readonly onNotice?: (message: string) => void;
}

// Sources run directly under Node 24 (type stripping); the build runs the compiled worker.
const WORKER = new URL(`./worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

function isSerializedError(e: unknown): e is SerializedError {
  return typeof e === 'object' && e !== null && (e as SerializedError).durnUserError === true;
}

export class TilePool {
  readonly workers: number;
  readonly threadsPerWorker: number;
  private readonly piscina: Piscina;
  private readonly engine: EngineChoice;
  private readonly device: DeviceChoice;
  private readonly precision: Precision | undefined;
  private readonly seenNotices = new Set<string>();
  private readonly onNotice: ((message: string) => void) | undefined;
  /** Description of the engine the workers use, known after the first tile. */
  engineDescription = '';
  /** The GPU's memory as the engine last reported it (torch on CUDA), for sizing tiles. */
  private deviceMemory: DeviceMemory | undefined;
  /** The workers may run on a GPU: an NVIDIA driver, and a device other than cpu. */
  private readonly mayUseGpu: boolean;
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Tiles inside a worker, settled or not: close() waits for them. */
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;
  private closed: Promise<void> | null = null;
  /** The tiled step whose turn it is ends this; the next waits on it. */
  private turn: Promise<void> = Promise.resolve();

  constructor(opts: PoolOptions = {}) {
    const cores = availableParallelism();
    // Options win over the environment (DURN_ENGINE, DURN_DEVICE, DURN_THREADS, DURN_PRECISION), as documented.
    const env = settingsFromEnv();
    this.engine = opts.engine ?? env.DURN_ENGINE ?? 'auto';
    this.device = opts.device ?? env.DURN_DEVICE ?? 'auto';
    this.precision = opts.precision ?? env.DURN_PRECISION;
    // On an NVIDIA machine a GPU engine may serve every tile (torch: a process and CUDA context
    // per worker): two workers keep it busy; ONNX on the CPU then gets cores / 2 threads each.
    const gpu =
      this.device !== 'cpu' && (this.engine === 'auto' || this.engine === 'torch') && nvidiaDriverPresent();
    this.workers = Math.max(1, opts.workers ?? (gpu ? Math.min(2, cores) : cores));
    this.threadsPerWorker = Math.max(
      1,
      opts.threadsPerWorker ?? env.DURN_THREADS ?? Math.floor(cores / this.workers),
    );
    this.mayUseGpu = this.device !== 'cpu' && this.engine !== 'tfjs' && nvidiaDriverPresent();
    this.onNotice = opts.onNotice;
    this.piscina = new Piscina({
      filename: WORKER.href,
      minThreads: this.workers,
      maxThreads: this.workers,
      // Each worker holds a session (hundreds of MB for the larger networks): keep them alive.
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
    });
  }

  /** Tasks holding a worker now (a cancelled one holds it until its run has ended). */
  get active(): number {
    return this.running;
  }

  /**
   * Intra-op threads for a task that runs alone (a whole image, a statistics pass): every thread
   * of the pool when nothing else is in flight (another file's tiles), else one worker's share.
   */
  get soloThreads(): number {
    return this.active === 0 ? this.workers * this.threadsPerWorker : this.threadsPerWorker;
  }

  /**
   * Where this network's tiles will run, for sizing them (tiling/choose.ts tileBudget). Where a
   * GPU may serve them and no tile has run yet, a tiny tile opens the session first to learn
   * which device the engine took; CPU-only pools answer at once.
   */
  async tileMemory(network: NetworkId, weightsPath: string, signal?: AbortSignal): Promise<TileMemory> {
    if (!this.engineDescription && this.mayUseGpu) {
      const { graph, minSide, sizeMultiple } = getNetwork(network);
      const side = Math.ceil(Math.max(minSide, 16) / sizeMultiple) * sizeMultiple;
      const probe = new Float32Array(graph.inChannels * side * side);
      const out = await this.run(
        network,
        weightsPath,
        { data: probe, channels: graph.inChannels, height: side, width: side },
        signal ? { signal } : {},
      );
      release(out.data);
    }
    if (/\bcuda\b/.test(this.engineDescription)) {
      return this.deviceMemory ? { kind: 'gpu', freeBytes: this.deviceMemory.freeBytes } : { kind: 'gpu' };
    }
    return { kind: 'cpu', freeBytes: freemem() };
  }

  /**
   * Waits for the turn of a tiled step (one at a time: its tile memory and threads are chosen for
   * the whole pool); resolves to the function that ends the turn. An abort stops the wait.
   */
  async tiledTurn(signal?: AbortSignal): Promise<() => void> {
    let end!: () => void;
    const previous = this.turn;
    this.turn = new Promise<void>((resolve) => {
      end = resolve;
    });
    if (!signal) {
      await previous;
      return end;
    }
    try {
      await abandonOnAbort(previous, signal);
    } catch (err) {
      // Steps queued behind this one wait for the one before it instead.
      void previous.then(end);
      throw err;
    }
    return end;
  }

  /** Tiles that can be in flight without idling a worker: enough to hide the stitching. */
  get capacity(): number {
    return this.workers * 2;
  }

  /**
   * Runs one tile. The pool takes ownership of `tile.data`'s buffer (transferred to the worker):
   * callers pass a buffer nothing else uses.
   */
  async run(
    network: NetworkId,
    weightsPath: string,
    tile: ImageTensor,
    options: { signal?: AbortSignal; statistics?: GraphStatistics; threads?: number; sole?: boolean } = {},
  ): Promise<ImageTensor> {
    const { signal, statistics, threads, sole } = options;
    const result = (await this.send(
      network,
      weightsPath,
      tile,
      signal,
      {
        kind: 'run',
        ...(statistics ? { statistics } : {}),
        ...(sole ? { sole } : {}),
      },
      threads,
    )) as TileResult;
    return { data: result.data, channels: result.channels, height: result.height, width: result.width };
  }

  /**
   * The network's statistics (instance norms, global pools) over `image`, for freezing them in
   * the tiles' runs. Takes ownership of `image.data`'s buffer, as `run` does.
   */
  async collectStatistics(
    network: NetworkId,
    weightsPath: string,
    image: ImageTensor,
    signal?: AbortSignal,
    threads?: number,
  ): Promise<GraphStatistics> {
    const result = (await this.send(
      network,
      weightsPath,
      image,
      signal,
      { kind: 'collect' },
      threads,
    )) as StatisticsResult;
    return result.statistics;
  }

  private async send(
    network: NetworkId,
    weightsPath: string,
    tile: ImageTensor,
    signal: AbortSignal | undefined,
    extra: Pick<TileTask, 'kind' | 'statistics' | 'sole'>,
    threads = this.threadsPerWorker,
  ): Promise<TileResult | StatisticsResult> {
    const owned = tile.data.byteOffset === 0 && tile.data.byteLength === tile.data.buffer.byteLength;
    const data = owned ? tile.data : tile.data.slice();
    const task: TileTask = {
      session: {
        network,
        weightsPath,
        engine: this.engine,
        device: this.device,
        threads,
        ...(this.precision ? { precision: this.precision } : {}),
      },
      data,
      channels: tile.channels,
      height: tile.height,
      width: tile.width,
      ...extra,
      // A plugin's own network exists only in this thread's registry: its definition travels along.
      ...(isBuiltinNetwork(network) ? {} : { definition: getNetwork(network) }),
    };
    await this.acquire(signal);
    const pending = this.piscina.run(moveWith(task, [data.buffer])) as Promise<TileResult | StatisticsResult>;
    const settled: Promise<void> = pending.then(
      () => {},
      () => {},
    );
    this.inFlight.add(settled);
    void settled.then(() => {
      this.inFlight.delete(settled);
      this.release();
    });
    let result: TileResult | StatisticsResult;
    try {
      result = await abandonOnAbort(pending, signal);
    } catch (err) {
      if (isSerializedError(err)) {
        throw new DurnUserError(err.code as DurnErrorCode, err.message, err.hint ? { hint: err.hint } : {});
      }
      throw err;
    }
    this.engineDescription = result.engine;
    if ('deviceMemory' in result && result.deviceMemory) this.deviceMemory = result.deviceMemory;
    for (const n of result.notices) {
      if (!this.seenNotices.has(n)) {
        this.seenNotices.add(n);
        this.onNotice?.(n);
      }
    }
    return result;
  }

  /** Waits for a free worker (or the abort, or close). */
  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(aborted());
    if (this.closing) return Promise.reject(new DurnUserError('ABORTED', 'The restorer was closed'));
    if (this.running < this.workers) {
      this.running += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(aborted());
      };
      const go = () => {
        signal?.removeEventListener('abort', onAbort);
        if (this.closing) return reject(new DurnUserError('ABORTED', 'The restorer was closed'));
        this.running += 1;
        resolve();
      };
      this.waiting.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }

  /** Ends the threads once the tiles running in them have finished (their results abandoned). */
  close(): Promise<void> {
    this.closing = true;
    this.closed ??= (async () => {
      for (const go of this.waiting.splice(0)) go();
      while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
      await this.piscina.destroy();
    })();
    return this.closed;
  }
}

function aborted(): DurnUserError {
  return new DurnUserError('ABORTED', 'The run was cancelled');
}

/** The tile's result, or ABORTED as soon as the signal fires (the tile itself runs to its end). */
function abandonOnAbort<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return pending;
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
