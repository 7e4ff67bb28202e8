/**
 * TensorFlow.js backend selection. Each candidate is detected by loading it and running a tiny op,
 * never by its mere presence: npm skips install scripts here, so tfjs-node may be installed with
 * its native binary missing, and that failure must be reported, not crash a run later.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { DurnUserError, expected } from '../../../core/errors.ts';
import { registerTfjsGradients } from './gradients.ts';

export const TFJS_BACKENDS = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'] as const;
export type TfjsBackendChoice = (typeof TFJS_BACKENDS)[number];
type Concrete = Exclude<TfjsBackendChoice, 'auto'>;

const optionsSchema = z.object({
  backend: z.enum(TFJS_BACKENDS).optional(),
});
export type InitTfjsOptions = z.input<typeof optionsSchema>;

export interface TfjsInit {
  /** Our name of the backend in use: node-gpu, node, wasm or cpu. */
  readonly backend: Concrete;
  /** What was tried and why it was passed over, for the run report. */
  readonly notes: string[];
}

const require = createRequire(import.meta.url);

/** The tfjs backend name each choice registers. */
const TF_NAME: Record<Concrete, string> = {
  'node-gpu': 'tensorflow',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};
const PACKAGE: Record<Concrete, string> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};
const AUTO_ORDER: readonly Concrete[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/** Loaded backends and load failures, per process: tfjs itself is a process-wide singleton. */
const loaded = new Set<Concrete>();
const failures = new Map<Concrete, string>();
let wasmPathsSet = false;

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.slice(0, 300);
}

async function importPackage(choice: Concrete): Promise<Record<string, unknown>> {
  // A variable specifier keeps TypeScript from requiring the optional native packages' types.
  const name: string = PACKAGE[choice];
  return (await import(name)) as Record<string, unknown>;
}

/** Loads one backend, makes it current and runs a tiny op on it; throws if any step fails. */
async function activate(choice: Concrete): Promise<void> {
  const cached = failures.get(choice);
  if (cached !== undefined) throw new Error(cached);
  try {
    if (!loaded.has(choice)) {
      const mod = await importPackage(choice);
      if (choice === 'wasm' && !wasmPathsSet) {
        // Point the loader at the .wasm files shipped in the package (offline; no fetch of a CDN).
        // The threaded-SIMD build needs Web Workers from blob: URLs, which Node's Worker rejects, so
        // tfjs picks the single-threaded SIMD build here (WASM_HAS_MULTITHREAD_SUPPORT is false).
        const dir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
        const setWasmPaths = mod.setWasmPaths as (prefix: string) => void;
        setWasmPaths(`${join(dir)}/`);
        wasmPathsSet = true;
      }
      loaded.add(choice);
    }
    const name = TF_NAME[choice];
    if (tf.findBackendFactory(name) === undefined && tf.findBackend(name) === null) {
      throw new Error(`the package did not register the "${name}" backend`);
    }
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`tf.setBackend("${name}") failed`);
    await tf.ready();
    const probe = tf.tidy(() =>
      tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'valid'),
    );
    const value = (await probe.data())[0];
    probe.dispose();
    if (value !== 9) throw new Error(`a test convolution gave ${value} instead of 9`);
    if (choice === 'node-gpu' && !tfNodeSeesGpu()) throw new Error('TensorFlow found no CUDA device');
  } catch (err) {
    const why = message(err);
    failures.set(choice, why);
    throw new Error(why, { cause: err });
  }
}

/** tfjs-node-gpu silently runs on the CPU when CUDA is missing; report that as a failure. */
function tfNodeSeesGpu(): boolean {
  const backend = tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } };
  const check = backend.binding?.isUsingGpuDevice;
  return typeof check === 'function' ? check() : true;
}

function fromEnv(): TfjsBackendChoice | undefined {
  const raw = process.env.DURN_TFJS_BACKEND;
  if (raw === undefined || raw === '') return undefined;
  const parsed = z.enum(TFJS_BACKENDS).safeParse(raw);
  if (!parsed.success) {
    throw new DurnUserError('INVALID_OPTION', expected(TFJS_BACKENDS.join('|'), 'DURN_TFJS_BACKEND', raw), {
      hint: 'Unset DURN_TFJS_BACKEND or set it to one of the listed backends.',
    });
  }
  return parsed.data;
}

let current: TfjsInit | undefined;
let currentChoice: TfjsBackendChoice | undefined;

/**
 * Selects and initialises the TensorFlow.js backend: the option, else DURN_TFJS_BACKEND, else
 * auto (node-gpu, node, wasm, cpu: the first that loads and computes). Idempotent per choice.
 */
export async function initTfjs(opts: InitTfjsOptions = {}): Promise<TfjsInit> {
  const parsed = optionsSchema.safeParse(opts);
  if (!parsed.success) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(TFJS_BACKENDS.join('|'), 'the tfjs backend option', opts.backend),
    );
  }
  const choice = parsed.data.backend ?? fromEnv() ?? 'auto';
  // Production: no console banners from tfjs (e.g. the cpu backend's "install tfjs-node" notice).
  tf.env().set('PROD', true);
  await registerTfjsGradients();
  if (current && currentChoice === choice && tf.getBackend() === TF_NAME[current.backend]) return current;

  const notes: string[] = [];
  if (choice !== 'auto') {
    try {
      await activate(choice);
    } catch (err) {
      throw new DurnUserError(
        'BACKEND_UNAVAILABLE',
        `The tfjs backend "${choice}" failed to load: ${message(err)}`,
        {
          hint:
            choice === 'node' || choice === 'node-gpu'
              ? `${PACKAGE[choice]} needs its native TensorFlow library (downloaded by its install script); reinstall it with scripts enabled, or use --backend wasm.`
              : `Check that ${PACKAGE[choice]} is installed, or choose another backend.`,
          cause: err,
        },
      );
    }
    current = { backend: choice, notes };
  } else {
    let chosen: Concrete | undefined;
    for (const candidate of AUTO_ORDER) {
      try {
        await activate(candidate);
        chosen = candidate;
        break;
      } catch (err) {
        const why = message(err);
        const absent = /Cannot find (package|module)|ERR_MODULE_NOT_FOUND/.test(why);
        notes.push(
          absent
            ? `${PACKAGE[candidate]} is not installed`
            : `${PACKAGE[candidate]} is installed but failed to load: ${why}`,
        );
      }
    }
    if (chosen === undefined) {
      throw new DurnUserError(
        'BACKEND_UNAVAILABLE',
        `No TensorFlow.js backend could be loaded: ${notes.join('; ')}`,
        {
          hint: 'Reinstall durn; @tensorflow/tfjs-backend-wasm and -cpu ship with it.',
        },
      );
    }
    if (notes.length > 0) notes[notes.length - 1] += `; using ${chosen}`;
    current = { backend: chosen, notes };
  }
  currentChoice = choice;
  return current;
}

/** The backend in use, in durn's naming (undefined before initTfjs). */
export function currentTfjsBackend(): Concrete | undefined {
  return current?.backend;
}
