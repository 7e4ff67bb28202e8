/**
 * ONNX Runtime inference sessions for durn's networks: the network graph is lowered to ONNX in
 * memory and compiled once per (network, weights, device, threads); every caller asking for the
 * same combination shares the compiled session, which is released when the last one disposes.
 *
 * onnxruntime-node runs a model synchronously on the calling thread (inside a setImmediate), so
 * a busy host runs sessions in worker threads: 1 intra-op thread per worker there, all cores for
 * a single run on the main thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { z } from 'zod';
import { DurnBugError, DurnUserError, expected } from '../../../core/errors.ts';
import {
  checkStatistics,
  type GraphStatistics,
  gatherStatistics,
  statisticNodes,
} from '../../graph/statistics.ts';
import type { NetworkDefinition } from '../../graph/types.ts';
import { weightsHash } from '../../weights/hash.ts';
import type { ImageTensor, InferenceSession, RunOptions, SessionOptions } from '../types.ts';
import { INPUT_NAME, type LowerOptions, lowerToOnnx, OUTPUT_NAME } from './lower.ts';
import {
  CUDA_INSTALL_HINT,
  cudaSupportedPlatform,
  cudaUnavailable,
  firstLine,
  loadOrt,
  missingCudaFiles,
  type Ort,
  ortBinDir,
} from './runtime.ts';
import { type StatisticsMode, statisticFeeds } from './statistics.ts';

export interface OnnxSessionOptions extends SessionOptions {
  /** Told once per process when `device: 'auto'` falls back to the CPU. */
  readonly onNotice?: (message: string) => void;
  /** Lowering variants, for tests. */
  readonly lowering?: LowerOptions;
}

const optionsSchema = z.object({
  threads: z.number().int().min(1).max(1024).optional(),
  device: z.enum(['auto', 'cpu', 'cuda']).optional(),
});

type OrtSession = Awaited<ReturnType<Ort['InferenceSession']['create']>>;
type Device = 'cpu' | 'cuda';

interface Entry {
  refs: number;
  readonly ready: Promise<OrtSession>;
}

const cache = new Map<string, Entry>();
/** Why CUDA could not be used in this process (null until tried, or while it works). */
let cudaFailure: string | null = null;
const noticesGiven = new Set<string>();

/** Intra-op threads when the caller does not say: one per worker thread, all cores on the main thread. */
export function defaultThreads(): number {
  return isMainThread ? availableParallelism() : 1;
}

/** Forgets CUDA probe results and notices already given (tests; hosts that install CUDA while running). */
export function resetDeviceProbe(): void {
  cudaFailure = null;
  noticesGiven.clear();
}

/** Number of compiled sessions alive in the cache (for tests and diagnostics). */
export function cachedSessionCount(): number {
  return cache.size;
}

/** Throws the user error callers see when an image does not fit the network. */
export function checkInputSize(network: NetworkDefinition, height: number, width: number): void {
  const m = network.sizeMultiple;
  if (height % m !== 0 || width % m !== 0) {
    throw new DurnUserError(
      'INVALID_INPUT',
      `Expected height and width that are multiples of ${m} for ${network.id} but received ${height}×${width}`,
      {
        hint: `Pad the image to a multiple of ${m} before running ${network.title} (durn's pipeline does this).`,
      },
    );
  }
  if (height < network.minSide || width < network.minSide) {
    throw new DurnUserError(
      'INVALID_INPUT',
      `Expected height and width of at least ${network.minSide} for ${network.id} but received ${height}×${width}`,
      {
        hint: `Use a larger image or tile; ${network.title} needs at least ${network.minSide} pixels a side.`,
      },
    );
  }
}

function notify(onNotice: ((m: string) => void) | undefined, key: string, message: string): void {
  if (noticesGiven.has(key)) return;
  noticesGiven.add(key);
  onNotice?.(message);
}

function ortOptions(device: Device, threads: number) {
  return {
    executionProviders: [device],
    graphOptimizationLevel: 'all' as const,
    executionMode: 'sequential' as const,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    // ORT's memory pattern preallocates one block for every intermediate of a shape: measured
    // 1,475 B a pixel for DuRN-P against 690 without it (arena kept), i.e. half the tile memory.
    enableMemPattern: false,
    logSeverityLevel: 3 as const,
  };
}

/** Gets or compiles the shared session for `key`; a failed compile leaves nothing cached. */
function acquire(key: string, compile: () => Promise<OrtSession>): { entry: Entry; key: string } {
  let entry = cache.get(key);
  if (!entry) {
    const ready = compile();
    const created: Entry = { refs: 0, ready };
    entry = created;
    cache.set(key, created);
    ready.catch(() => {
      if (cache.get(key) === created) cache.delete(key);
    });
  }
  entry.refs += 1;
  return { entry, key };
}

async function release(key: string, entry: Entry): Promise<void> {
  entry.refs -= 1;
  if (entry.refs > 0) return;
  if (cache.get(key) === entry) cache.delete(key);
  const session = await entry.ready.catch(() => null);
  await session?.release();
}

/** Opens (or shares) an ONNX Runtime session for `opts.network` with `opts.weights`. */
export async function createOnnxSession(opts: OnnxSessionOptions): Promise<InferenceSession> {
  const parsed = optionsSchema.safeParse({ threads: opts.threads, device: opts.device });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? 'options');
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(
        field === 'threads' ? 'a positive integer' : "'auto', 'cpu' or 'cuda'",
        `the onnx ${field}`,
        field === 'threads' ? opts.threads : opts.device,
      ),
    );
  }
  const { network, weights } = opts;
  const threads = parsed.data.threads ?? defaultThreads();
  const choice = parsed.data.device ?? 'auto';
  const ort = await loadOrt();

  const hash = weightsHash(weights);
  const keyFor = (device: Device, mode: StatisticsMode = opts.lowering?.statistics ?? 'compute') =>
    `${network.id}|${hash}|${device}|${threads}|${JSON.stringify({ ...opts.lowering, statistics: mode })}`;
  let bytes: Uint8Array | null = null;
  const compile = (device: Device) => async () => {
    bytes ??= lowerToOnnx(network, weights, opts.lowering);
    return ort.InferenceSession.create(bytes, ortOptions(device, threads));
  };
  // The collect and frozen variants compile on first use, on the device the session got.
  const variant = (device: Device, mode: StatisticsMode) =>
    acquire(keyFor(device, mode), async () =>
      ort.InferenceSession.create(
        lowerToOnnx(network, weights, { ...opts.lowering, statistics: mode }),
        ortOptions(device, threads),
      ),
    );

  let device: Device = 'cpu';
  let held: { entry: Entry; key: string } | null = null;
  if (choice !== 'cpu') {
    const missing = cudaSupportedPlatform()
      ? missingCudaFiles(ortBinDir())
      : ['a linux-x64 or win32-x64 build'];
    if (choice === 'cuda' && missing.length > 0) {
      throw cudaUnavailable(`no ${missing.join(', ')} in ${ortBinDir() ?? 'onnxruntime-node'}`);
    }
    if (missing.length === 0 && (choice === 'cuda' || cudaFailure === null)) {
      held = acquire(keyFor('cuda'), compile('cuda'));
      try {
        await held.entry.ready;
        device = 'cuda';
        cudaFailure = null;
      } catch (err) {
        await release(held.key, held.entry);
        held = null;
        if (choice === 'cuda') {
          throw cudaUnavailable(`an error opening a CUDA session: ${firstLine(err)}`, err);
        }
        cudaFailure = firstLine(err);
      }
    } else if (cudaFailure === null) {
      cudaFailure = `missing ${missing.join(', ')}`;
    }
    // 'auto' on a machine without an NVIDIA GPU is simply the CPU: nothing to tell. A GPU that
    // CUDA cannot use is worth a word (the user likely expects it to be used).
    if (device === 'cpu' && nvidiaGpuPresent()) {
      notify(
        opts.onNotice,
        'cuda-fallback',
        `CUDA is not available to ONNX Runtime (${cudaFailure}); running on the CPU. ${CUDA_INSTALL_HINT}`,
      );
    }
  }
  const h = held ?? acquire(keyFor('cpu'), compile('cpu'));
  const session = await h.entry.ready.catch(async (err) => {
    await release(h.key, h.entry);
    if (err instanceof DurnUserError || err instanceof DurnBugError) throw err;
    throw new DurnBugError(`ONNX Runtime rejected the lowered ${network.id} model: ${firstLine(err)}`, {
      cause: err,
    });
  });
  return wrap(ort, session, network, h, device, threads, (mode) => variant(device, mode));
}

type Held = { entry: Entry; key: string };

function checkRunInput(network: NetworkDefinition, input: ImageTensor): void {
  const { channels, height, width, data } = input;
  if (channels !== network.inChannels) {
    throw new DurnUserError(
      'INVALID_INPUT',
      expected(`${network.inChannels} channel(s)`, `the input of ${network.id}`, channels),
      {
        hint: network.inChannels === 1 ? 'Convert the image to grayscale.' : 'Convert the image to RGB.',
      },
    );
  }
  if (data.length !== channels * height * width) {
    throw new DurnBugError(`image data has ${data.length} values for ${channels}×${height}×${width}`);
  }
  checkInputSize(network, height, width);
}

function wrap(
  ort: Ort,
  session: OrtSession,
  network: NetworkDefinition,
  held: Held,
  device: Device,
  threads: number,
  variant: (mode: StatisticsMode) => Held,
): InferenceSession {
  let disposed = false;
  const nodes = statisticNodes(network.graph);
  const variants = new Map<StatisticsMode, Held>();
  const sessionFor = async (mode: StatisticsMode): Promise<OrtSession> => {
    if (mode === 'compute' || nodes.length === 0) return session;
    let v = variants.get(mode);
    if (!v) {
      v = variant(mode);
      variants.set(mode, v);
    }
    const h = v;
    return h.entry.ready.catch(async (err) => {
      variants.delete(mode);
      await release(h.key, h.entry);
      throw new DurnBugError(
        `ONNX Runtime rejected the ${mode}-statistics ${network.id} model: ${firstLine(err)}`,
        {
          cause: err,
        },
      );
    });
  };
  const infer = async (input: ImageTensor, mode: StatisticsMode, stats?: GraphStatistics) => {
    if (disposed) throw new DurnBugError(`run() on a disposed ${network.id} onnx session`);
    checkRunInput(network, input);
    const { channels, height, width, data } = input;
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {
      [INPUT_NAME]: new ort.Tensor('float32', data, [1, channels, height, width]),
    };
    if (stats) {
      checkStatistics(network.graph, stats);
      for (const f of statisticFeeds(nodes, stats)) feeds[f.name] = new ort.Tensor('float32', f.data, f.dims);
    }
    const result = await (await sessionFor(mode)).run(feeds);
    const out = result[OUTPUT_NAME];
    const c = network.outChannels;
    const dims = out?.dims ?? [];
    if (
      !out ||
      dims[1] !== c ||
      dims[2] !== height ||
      dims[3] !== width ||
      !(out.data instanceof Float32Array)
    ) {
      throw new DurnBugError(`onnx ${network.id} returned [${dims.join(', ')}] for ${height}×${width}`);
    }
    return { result, output: { data: out.data, channels: c, height, width } };
  };
  return {
    engine: 'onnx',
    description: device === 'cuda' ? 'onnx cuda' : `onnx cpu (${threads} thread${threads === 1 ? '' : 's'})`,
    async run(input: ImageTensor, options?: RunOptions): Promise<ImageTensor> {
      const stats = options?.statistics;
      const frozen = stats !== undefined && nodes.length > 0;
      return (await infer(input, frozen ? 'frozen' : 'compute', frozen ? stats : undefined)).output;
    },
    async collectStatistics(input: ImageTensor): Promise<GraphStatistics> {
      if (nodes.length === 0) return {};
      const { result } = await infer(input, 'collect');
      return gatherStatistics(
        nodes,
        (name) => {
          const t = result[name];
          return t && t.data instanceof Float32Array ? t.data : undefined;
        },
        `onnx ${network.id}`,
      );
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      for (const v of variants.values()) await release(v.key, v.entry);
      variants.clear();
      await release(held.key, held.entry);
    },
  };
}

/** An NVIDIA driver is loaded (Linux: its /proc entry or device node; Windows: its DLL). */
function nvidiaGpuPresent(): boolean {
  if (process.platform === 'win32') return existsSync('C:\\Windows\\System32\\nvcuda.dll');
  return existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');
}
