/**
 * The torch engine as an InferenceSession: a long-lived durn_torch.py process per (network,
 * weights, device, precision, threads) in this thread, started on first use, shared by every
 * session asking for the same combination and ended when the last one disposes. Weights cross
 * the pipe once; each run sends one image and gets one back.
 */
import { cpus } from 'node:os';
import { z } from 'zod';
import { DurnBugError, DurnUserError, expected } from '../../../core/errors.ts';
import {
  checkStatistics,
  type GraphStatistics,
  gatherStatistics,
  statisticNames,
  statisticNodes,
} from '../../graph/statistics.ts';
import type { NetworkDefinition } from '../../graph/types.ts';
import { weightsHash } from '../../weights/hash.ts';
import type { StateDict } from '../../weights/types.ts';
import { checkInputSize } from '../onnx/session.ts';
import type {
  DeviceMemory,
  ImageTensor,
  InferenceSession,
  Precision,
  RunOptions,
  SessionOptions,
} from '../types.ts';
import { type NamedArray, TorchProcess } from './process.ts';
import { findTorch, type TorchInfo } from './python.ts';

export const torchDeviceSchema = z.union([z.enum(['auto', 'cpu', 'cuda']), z.string().regex(/^cuda:\d+$/)]);

/** `auto` → the first CUDA device when torch sees one, else the CPU; `cuda:N` must exist. */
export function resolveTorchDevice(choice: string | undefined, info: TorchInfo): string {
  const parsed = torchDeviceSchema.safeParse(choice ?? 'auto');
  if (!parsed.success) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected("'auto', 'cpu', 'cuda' or 'cuda:N'", 'the device', choice),
    );
  }
  const d = parsed.data;
  if (d === 'auto') return info.cudaDevices > 0 ? 'cuda:0' : 'cpu';
  if (d === 'cpu') return 'cpu';
  const index = d === 'cuda' ? 0 : Number(d.slice(5));
  if (index >= info.cudaDevices) {
    throw new DurnUserError(
      'DEVICE_UNAVAILABLE',
      expected(
        info.cudaDevices > 0 ? `a CUDA device below ${info.cudaDevices}` : 'a CUDA device',
        `PyTorch ${info.torch} (${info.python})`,
        d,
      ),
      { hint: 'Use --device cpu, or a CUDA build of PyTorch on a machine with an NVIDIA GPU.' },
    );
  }
  return `cuda:${index}`;
}

/**
 * fp32 or bf16 autocast for a resolved device. bf16 on the CPU only where oneDNN runs it natively
 * (AVX-512 BF16, AMX: about 2× faster training); emulated it would be slower than fp32.
 */
export function checkTorchPrecision(
  precision: string | undefined,
  device: string,
  info: TorchInfo,
): Precision {
  const p = precision ?? 'fp32';
  if (p !== 'fp32' && p !== 'bf16') {
    throw new DurnUserError('INVALID_OPTION', expected("'fp32' or 'bf16'", 'the precision', p));
  }
  if (p === 'bf16' && device === 'cpu' && !info.cpuBf16) {
    throw new DurnUserError(
      'DEVICE_UNAVAILABLE',
      // Not expected(): the received CPU is a description, not a value to quote.
      "Expected a CPU with native bf16 (AVX-512 BF16 or AMX) for precision 'bf16' on the CPU but " +
        `received ${cpus()[0]?.model.trim() || 'a CPU'}, which has neither`,
      {
        hint: 'Use --precision fp32 (the default) on this CPU; bf16 is for CUDA GPUs and recent Xeon/EPYC CPUs.',
      },
    );
  }
  return p;
}

/** Parameters as the init request sends them (float32; counters are not needed for inference). */
export function weightArrays(network: NetworkDefinition, weights: StateDict): NamedArray[] {
  const out: NamedArray[] = [];
  for (const p of network.graph.params) {
    if (p.dtype !== 'float32') continue;
    const t = weights.get(p.name);
    if (!t) {
      if (p.optional) continue;
      throw new DurnUserError('WEIGHTS_MISMATCH', expected(`a tensor ${p.name}`, network.title, 'none'));
    }
    const data =
      t.data instanceof Float32Array
        ? t.data
        : Float32Array.from(t.data as unknown as ArrayLike<number>, Number);
    out.push({ name: p.name, data, shape: t.shape });
  }
  return out;
}

interface Entry {
  refs: number;
  readonly ready: Promise<{
    proc: TorchProcess;
    device: string;
    threads: number;
    memory: DeviceMemory | undefined;
  }>;
}
const cache = new Map<string, Entry>();

export interface TorchSessionOptions extends SessionOptions {
  readonly precision?: Precision;
}

export async function createTorchSession(opts: TorchSessionOptions): Promise<InferenceSession> {
  const info = await findTorch();
  const device = resolveTorchDevice(opts.device, info);
  const precision = checkTorchPrecision(opts.precision, device, info);
  const threads = opts.threads ?? 0;
  const { network, weights } = opts;
  const key = `${network.id}|${weightsHash(weights)}|${device}|${precision}|${threads}`;
  let entry = cache.get(key);
  if (!entry) {
    const ready = (async () => {
      const proc = await TorchProcess.start(threads || undefined);
      try {
        const r = await proc.request(
          { op: 'init', graph: network.graph, device, precision, threads },
          weightArrays(network, weights),
        );
        return {
          proc,
          device: String(r.header.device),
          threads: Number(r.header.threads),
          memory: memoryOf(r.header),
        };
      } catch (err) {
        await proc.close();
        throw err;
      }
    })();
    const created: Entry = { refs: 0, ready };
    entry = created;
    cache.set(key, created);
    ready.catch(() => {
      if (cache.get(key) === created) cache.delete(key);
    });
  }
  entry.refs += 1;
  const held = entry;
  const live = await held.ready.catch((err) => {
    held.refs -= 1;
    throw err;
  });
  let disposed = false;
  let memory = live.memory;
  const nodes = statisticNodes(network.graph);
  const checkInput = (input: ImageTensor): NamedArray => {
    if (disposed) throw new DurnBugError(`run() on a disposed ${network.id} torch session`);
    const { channels, height, width, data } = input;
    if (channels !== network.inChannels) {
      throw new DurnUserError(
        'INVALID_INPUT',
        expected(`${network.inChannels} channel(s)`, `the input of ${network.id}`, channels),
      );
    }
    if (data.length !== channels * height * width) {
      throw new DurnBugError(`image data has ${data.length} values for ${channels}×${height}×${width}`);
    }
    checkInputSize(network, height, width);
    return { name: 'x', data, shape: [1, channels, height, width] };
  };
  const where =
    live.device === 'cpu' ? `cpu (${live.threads} thread${live.threads === 1 ? '' : 's'})` : live.device;
  return {
    engine: 'torch',
    description: `torch ${info.torch} ${where}${precision === 'bf16' ? ' bf16' : ''}`,
    async run(input: ImageTensor, options?: RunOptions): Promise<ImageTensor> {
      const x = checkInput(input);
      const arrays: NamedArray[] = [x];
      const stats = options?.statistics;
      if (stats !== undefined && nodes.length > 0) {
        // Frozen statistics travel as `<node>.stat_mean` / `<node>.stat_var` beside the image.
        checkStatistics(network.graph, stats);
        for (const n of nodes) {
          const s = stats[n.id]!;
          const names = statisticNames(n);
          arrays.push({ name: names.mean, data: s.mean, shape: [s.mean.length] });
          if (n.op === 'instanceNorm') {
            arrays.push({ name: names.variance, data: s.variance!, shape: [s.variance!.length] });
          }
        }
      }
      const r = await live.proc.request({ op: 'run' }, arrays);
      memory = memoryOf(r.header) ?? memory;
      const y = r.arrays.get('y');
      if (!y) throw new DurnBugError('the torch engine answered run without an output');
      return { data: y.data, channels: network.outChannels, height: input.height, width: input.width };
    },
    async collectStatistics(input: ImageTensor): Promise<GraphStatistics> {
      if (nodes.length === 0) return {};
      const r = await live.proc.request({ op: 'collect' }, [checkInput(input)]);
      return gatherStatistics(nodes, (name) => r.arrays.get(name)?.data, `torch ${network.id}`);
    },
    deviceMemory: () => memory,
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      held.refs -= 1;
      if (held.refs > 0) return;
      if (cache.get(key) === held) cache.delete(key);
      await live.proc.close();
    },
  };
}

/** The GPU memory a CUDA process reports in its answers (`free`, `total`), if any. */
function memoryOf(header: Readonly<Record<string, unknown>>): DeviceMemory | undefined {
  const free = Number(header.free);
  const total = Number(header.total);
  return Number.isFinite(free) && Number.isFinite(total) && total > 0
    ? { freeBytes: free, totalBytes: total }
    : undefined;
}
