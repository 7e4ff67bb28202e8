/**
 * Loading onnxruntime-node (an optional dependency that may be absent or broken) and finding out
 * whether its CUDA execution provider can be used. Each answer is computed once per process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DurnUserError } from '../../../core/errors.ts';
import type { Ort } from './ort-types.ts';

export type { Ort } from './ort-types.ts';

/** A variable, so that TypeScript and bundlers never resolve the optional package at build time. */
const ORT_PACKAGE = 'onnxruntime-node';

/** How to bring the native engine back when its install script failed (offline, proxy) and npm dropped it. */
export const ORT_REINSTALL =
  'To get the faster native engine: `npm install onnxruntime-node@1.30 --onnxruntime-node-install=skip` ' +
  '(skips its CUDA download); `durn doctor` shows what is installed.';

let loading: Promise<Ort> | null = null;

/** Imports onnxruntime-node and touches its native binding; rejects with a DurnUserError. */
export function loadOrt(): Promise<Ort> {
  loading ??= (async () => {
    try {
      const mod = (await import(ORT_PACKAGE)) as Ort & { default?: Ort };
      const ort = mod.default ?? mod;
      // The binding loads lazily in some versions; asking for its backends forces it.
      ort.listSupportedBackends();
      return ort;
    } catch (err) {
      throw new DurnUserError(
        'BACKEND_UNAVAILABLE',
        `Expected onnxruntime-node to load for the onnx engine but received an error: ${firstLine(err)}`,
        {
          hint: `${ORT_REINSTALL} Or use the tfjs engine (--engine tfjs).`,
          cause: err,
        },
      );
    }
  })();
  // A failed load is remembered: retrying a broken native module does not fix it.
  return loading;
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

/** The shared libraries the CUDA execution provider needs next to the onnxruntime binding. */
export function cudaProviderFiles(platform: NodeJS.Platform = process.platform): string[] {
  return platform === 'win32'
    ? ['onnxruntime_providers_cuda.dll', 'onnxruntime_providers_shared.dll']
    : ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'];
}

/** onnxruntime-node's folder of native libraries for this platform, or null if not installed. */
export function ortBinDir(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return null;
  }
}

/** Which CUDA provider libraries are absent from `binDir` (all of them when it is null). */
export function missingCudaFiles(
  binDir: string | null,
  platform: NodeJS.Platform = process.platform,
): string[] {
  const files = cudaProviderFiles(platform);
  if (binDir === null) return files;
  return files.filter((f) => !existsSync(join(binDir, f)));
}

/** How to install the CUDA provider: onnxruntime-node 1.30's script/install.js flag and env var. */
export const CUDA_INSTALL_HINT =
  'The CUDA execution provider is an opt-in download: run ' +
  '`npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12` ' +
  '(or `ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node`) on a machine with internet access; ' +
  'it needs an NVIDIA driver with CUDA 12 and cuDNN 9 installed. Or use --device cpu.';

/** Error for an explicit `--device cuda` that cannot be honoured. */
export function cudaUnavailable(reason: string, cause?: unknown): DurnUserError {
  return new DurnUserError(
    'DEVICE_UNAVAILABLE',
    `Expected a usable CUDA execution provider for --device cuda but received ${reason}`,
    { hint: CUDA_INSTALL_HINT, ...(cause === undefined ? {} : { cause }) },
  );
}

/** Only linux/x64 and win32/x64 builds of onnxruntime-node can load the CUDA provider. */
export function cudaSupportedPlatform(): boolean {
  return process.arch === 'x64' && (process.platform === 'linux' || process.platform === 'win32');
}
