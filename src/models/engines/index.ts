/**
 * Engine selection. ONNX Runtime is durn's CPU inference engine; PyTorch (a Python process, see
 * torch/) is preferred by `auto` only when it sees a CUDA GPU; TensorFlow.js is the fallback when
 * onnxruntime-node (an optional dependency) is absent or fails to load.
 * Options win over the environment: DURN_ENGINE, DURN_DEVICE, DURN_THREADS, DURN_PRECISION.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { DurnUserError, expected } from '../../core/errors.ts';
import { loadOrt, ORT_REINSTALL } from './onnx/runtime.ts';
import type { DeviceChoice, EngineChoice, EngineName, InferenceSession, SessionOptions } from './types.ts';

export type { EngineChoice, ImageTensor, InferenceSession, SessionOptions } from './types.ts';

export interface CreateSessionOptions extends SessionOptions {
  readonly engine?: EngineChoice;
  /** Told once per process about fallbacks (engine or device); never printed by durn itself. */
  readonly onNotice?: (message: string) => void;
}

export const ENGINES = ['auto', 'onnx', 'tfjs', 'torch'] as const;
const DEVICES = ['auto', 'cpu', 'cuda'] as const;
export const deviceSchema = z.union([
  z.enum(DEVICES),
  z.custom<`cuda:${number}`>((v) => /^cuda:\d+$/.test(String(v))),
]);

const envSchema = z.object({
  DURN_ENGINE: z.enum(ENGINES).optional(),
  DURN_DEVICE: deviceSchema.optional(),
  DURN_THREADS: z.coerce.number().int().min(1).max(1024).optional(),
  DURN_PRECISION: z.enum(['fp32', 'bf16']).optional(),
});

const WANTED: Record<keyof z.infer<typeof envSchema>, string> = {
  DURN_ENGINE: `one of ${ENGINES.join(', ')}`,
  DURN_DEVICE: `one of ${DEVICES.join(', ')}, cuda:N`,
  DURN_THREADS: 'a positive integer',
  DURN_PRECISION: 'fp32 or bf16',
};

/** The engine, device and thread settings from the environment; empty variables count as unset. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): z.infer<typeof envSchema> {
  const raw = {
    DURN_ENGINE: env.DURN_ENGINE || undefined,
    DURN_DEVICE: env.DURN_DEVICE || undefined,
    DURN_THREADS: env.DURN_THREADS || undefined,
    DURN_PRECISION: env.DURN_PRECISION || undefined,
  };
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const key = parsed.error.issues[0]!.path[0] as keyof typeof WANTED;
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(WANTED[key], `the environment variable ${key}`, raw[key]),
    );
  }
  return parsed.data;
}

const noticed = new Set<string>();

/** An NVIDIA driver is loaded (Linux) or may be (Windows); elsewhere CUDA cannot be. */
export function nvidiaDriverPresent(): boolean {
  if (process.platform === 'win32') return true;
  return process.platform === 'linux' && existsSync('/proc/driver/nvidia/version');
}

async function tfjsSession(opts: SessionOptions): Promise<InferenceSession> {
  const { createTfjsSession } = await import('./tfjs/session.ts');
  return createTfjsSession(opts);
}

/**
 * Which engine `auto` means here: torch when PyTorch sees a CUDA GPU (and the device is not
 * forced to the CPU), else onnx when onnxruntime-node loads, else tfjs.
 */
export async function resolveEngine(
  choice: EngineChoice,
  device?: DeviceChoice,
): Promise<{ engine: EngineName; reason?: string }> {
  if (choice !== 'auto') return { engine: choice };
  // Importing torch takes seconds: probe only where an NVIDIA driver is installed.
  if (device !== 'cpu' && nvidiaDriverPresent()) {
    const { torchAvailable } = await import('./torch/python.ts');
    const info = await torchAvailable();
    if (info && info.cudaDevices > 0) return { engine: 'torch' };
  }
  try {
    await loadOrt();
    return { engine: 'onnx' };
  } catch (err) {
    return { engine: 'tfjs', reason: err instanceof Error ? err.message : String(err) };
  }
}

/** Opens an inference session on the chosen (or best available) engine and device. */
export async function createSession(opts: CreateSessionOptions): Promise<InferenceSession> {
  const env = settingsFromEnv();
  const choice = opts.engine ?? env.DURN_ENGINE ?? 'auto';
  if (!(ENGINES as readonly string[]).includes(choice)) {
    throw new DurnUserError('INVALID_OPTION', expected(`one of ${ENGINES.join(', ')}`, 'the engine', choice));
  }
  const device = opts.device ?? env.DURN_DEVICE;
  const threads = opts.threads ?? env.DURN_THREADS;
  const precision = opts.precision ?? env.DURN_PRECISION;
  const resolved = {
    ...opts,
    ...(device ? { device } : {}),
    ...(threads ? { threads } : {}),
    ...(precision ? { precision } : {}),
  };

  const { engine, reason } = await resolveEngine(choice, device);
  if (engine === 'torch') {
    const { createTorchSession } = await import('./torch/session.ts');
    return createTorchSession(resolved);
  }
  // ONNX Runtime picks its own CUDA device: `cuda:N` means cuda there.
  if (device?.startsWith('cuda:')) Object.assign(resolved, { device: 'cuda' });
  if (engine === 'onnx') {
    const { createOnnxSession } = await import('./onnx/session.ts');
    return createOnnxSession(resolved);
  }
  if (reason && !noticed.has('engine-fallback')) {
    noticed.add('engine-fallback');
    opts.onNotice?.(`${reason}; using the tfjs engine instead (4–6× slower). ${ORT_REINSTALL}`);
  }
  return tfjsSession(resolved);
}
