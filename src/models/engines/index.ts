/**
 * Engine selection. ONNX Runtime is durn's inference engine; TensorFlow.js is the training engine
 * and the fallback when onnxruntime-node (an optional dependency) is absent or fails to load.
 * Options win over the environment: DURN_ENGINE, DURN_DEVICE, DURN_THREADS.
 */
import { z } from 'zod';
import { DurnUserError, expected } from '../../core/errors.ts';
import { loadOrt, ORT_REINSTALL } from './onnx/runtime.ts';
import type { EngineChoice, EngineName, InferenceSession, SessionOptions } from './types.ts';

export type { EngineChoice, ImageTensor, InferenceSession, SessionOptions } from './types.ts';

export interface CreateSessionOptions extends SessionOptions {
  readonly engine?: EngineChoice;
  /** Told once per process about fallbacks (engine or device); never printed by durn itself. */
  readonly onNotice?: (message: string) => void;
}

const ENGINES = ['auto', 'onnx', 'tfjs'] as const;
const DEVICES = ['auto', 'cpu', 'cuda'] as const;

const envSchema = z.object({
  DURN_ENGINE: z.enum(ENGINES).optional(),
  DURN_DEVICE: z.enum(DEVICES).optional(),
  DURN_THREADS: z.coerce.number().int().min(1).max(1024).optional(),
});

const WANTED: Record<keyof z.infer<typeof envSchema>, string> = {
  DURN_ENGINE: `one of ${ENGINES.join(', ')}`,
  DURN_DEVICE: `one of ${DEVICES.join(', ')}`,
  DURN_THREADS: 'a positive integer',
};

/** The engine, device and thread settings from the environment; empty variables count as unset. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): z.infer<typeof envSchema> {
  const raw = {
    DURN_ENGINE: env.DURN_ENGINE || undefined,
    DURN_DEVICE: env.DURN_DEVICE || undefined,
    DURN_THREADS: env.DURN_THREADS || undefined,
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

async function tfjsSession(opts: SessionOptions): Promise<InferenceSession> {
  const { createTfjsSession } = await import('./tfjs/session.ts');
  return createTfjsSession(opts);
}

/** Which engine `auto` means here: onnx when onnxruntime-node loads, else tfjs. */
export async function resolveEngine(choice: EngineChoice): Promise<{ engine: EngineName; reason?: string }> {
  if (choice !== 'auto') return { engine: choice };
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
  const resolved = { ...opts, ...(device ? { device } : {}), ...(threads ? { threads } : {}) };

  const { engine, reason } = await resolveEngine(choice);
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
