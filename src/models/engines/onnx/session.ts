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
import type { NetworkDefinition } from '../../graph/types.ts';
import { weightsHash } from '../../weights/hash.ts';
import type { ImageTensor, InferenceSession, SessionOptions } from '../types.ts';
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
  const variant = JSON.stringify(opts.lowering ?? {});
  const keyFor = (device: Device) => `${network.id}|${hash}|${device}|${threads}|${variant}`;
  let bytes: Uint8Array | null = null;
  const compile = (device: Device) => async () => {
    bytes ??= lowerToOnnx(network, weights, opts.lowering);
    return ort.InferenceSession.create(bytes, ortOptions(device, threads));
  };

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
  return wrap(ort, session, network, h, device, threads);
}

function wrap(
  ort: Ort,
  session: OrtSession,
  network: NetworkDefinition,
  held: { entry: Entry; key: string },
  device: Device,
  threads: number,
): InferenceSession {
  let disposed = false;
  return {
    engine: 'onnx',
    description: device === 'cuda' ? 'onnx cuda' : `onnx cpu (${threads} thread${threads === 1 ? '' : 's'})`,
    async run(input: ImageTensor): Promise<ImageTensor> {
      if (disposed) throw new DurnBugError(`run() on a disposed ${network.id} onnx session`);
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
      const feed = new ort.Tensor('float32', data, [1, channels, height, width]);
      const result = await session.run({ [INPUT_NAME]: feed });
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
      return { data: out.data, channels: c, height, width };
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      await release(held.key, held.entry);
    },
  };
}

/** An NVIDIA driver is loaded (Linux: its /proc entry or device node; Windows: its DLL). */
function nvidiaGpuPresent(): boolean {
  if (process.platform === 'win32') return existsSync('C:\\Windows\\System32\\nvcuda.dll');
  return existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');
}
