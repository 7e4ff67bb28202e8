/**
 * The tile pool: worker threads (piscina), each holding its model session, fed tiles by
 * transfer. Callers bound how many tiles are in flight; the pool itself never buffers images.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { type DurnErrorCode, DurnUserError } from '../../core/errors.ts';
import { nvidiaDriverPresent } from '../../models/engines/index.ts';
import type { DeviceChoice, EngineChoice, ImageTensor, Precision } from '../../models/engines/types.ts';
import type { NetworkId } from '../../models/graph/types.ts';
import { getNetwork, isBuiltinNetwork } from '../../models/networks/index.ts';
import type { SerializedError, TileResult, TileTask } from './protocol.ts';
import { moveWith } from './transfer.ts';

export interface PoolOptions {
  /** Worker threads; default: one per core. */
  readonly workers?: number;
  readonly engine?: EngineChoice;
  readonly device?: DeviceChoice;
  /** torch engine on CUDA: fp32 or bf16 autocast. */
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

  constructor(opts: PoolOptions = {}) {
    const cores = availableParallelism();
    // On an NVIDIA machine a GPU engine may serve every tile (torch: a process and CUDA context
    // per worker): two workers keep it busy; ONNX on the CPU then gets cores / 2 threads each.
    const engine = opts.engine ?? 'auto';
    const gpu = opts.device !== 'cpu' && (engine === 'auto' || engine === 'torch') && nvidiaDriverPresent();
    this.workers = Math.max(1, opts.workers ?? (gpu ? Math.min(2, cores) : cores));
    this.threadsPerWorker = Math.max(1, opts.threadsPerWorker ?? Math.floor(cores / this.workers));
    this.engine = opts.engine ?? 'auto';
    this.device = opts.device ?? 'auto';
    this.precision = opts.precision;
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
    signal?: AbortSignal,
  ): Promise<ImageTensor> {
    const owned = tile.data.byteOffset === 0 && tile.data.byteLength === tile.data.buffer.byteLength;
    const data = owned ? tile.data : tile.data.slice();
    const task: TileTask = {
      session: {
        network,
        weightsPath,
        engine: this.engine,
        device: this.device,
        threads: this.threadsPerWorker,
        ...(this.precision ? { precision: this.precision } : {}),
      },
      data,
      channels: tile.channels,
      height: tile.height,
      width: tile.width,
      // A plugin's own network exists only in this thread's registry: its definition travels along.
      ...(isBuiltinNetwork(network) ? {} : { definition: getNetwork(network) }),
    };
    let result: TileResult;
    try {
      result = (await this.piscina.run(
        moveWith(task, [data.buffer]),
        signal ? { signal } : {},
      )) as TileResult;
    } catch (err) {
      if (isSerializedError(err)) {
        throw new DurnUserError(err.code as DurnErrorCode, err.message, err.hint ? { hint: err.hint } : {});
      }
      if (err instanceof Error && err.name === 'AbortError') {
        throw new DurnUserError('ABORTED', 'The run was cancelled', { cause: err });
      }
      throw err;
    }
    this.engineDescription = result.engine;
    for (const n of result.notices) {
      if (!this.seenNotices.has(n)) {
        this.seenNotices.add(n);
        this.onNotice?.(n);
      }
    }
    return { data: result.data, channels: result.channels, height: result.height, width: result.width };
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
