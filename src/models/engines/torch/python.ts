/**
 * Finding a Python that imports torch: DURN_PYTHON, else `python3`, else `/usr/bin/python3`
 * (Debian's python3-torch lives there while pyenv or venv pythons shadow it on PATH). The first
 * interpreter that imports torch wins; the probe runs once per process.
 */
import { execFile } from 'node:child_process';
import { DurnUserError } from '../../../core/errors.ts';

export interface TorchInfo {
  /** The interpreter that imports torch. */
  readonly python: string;
  readonly torch: string;
  /** CUDA devices torch sees (0 on a CPU build or machine). */
  readonly cudaDevices: number;
  readonly gpu: string | null;
  /** Whether oneDNN runs bf16 natively on this CPU (AVX-512 BF16 or AMX); emulated bf16 is slower than fp32. */
  readonly cpuBf16: boolean;
}

export const TORCH_INSTALL_HINT =
  'Install PyTorch with `pip install torch` (CUDA builds: see pytorch.org) or, on Debian/Ubuntu, ' +
  '`apt-get install python3-torch`; or point DURN_PYTHON at a Python that has it.';

// bf16 on the CPU: torch 2.x asks oneDNN whether it has bf16 kernels for this CPU; torch 1.13 has
// no such call, so the kernel's CPU flags (Linux; elsewhere bf16 stays off on the CPU).
const PROBE = [
  'import json, torch',
  'n = torch.cuda.device_count() if torch.cuda.is_available() else 0',
  'try: b = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())',
  'except Exception:',
  '  try: b = any(f in open("/proc/cpuinfo").read().split() for f in ("avx512_bf16", "amx_bf16"))',
  '  except OSError: b = False',
  'b = b and torch.backends.mkldnn.is_available()',
  'print(json.dumps({"torch": torch.__version__, "cuda": n, "gpu": torch.cuda.get_device_name(0) if n else None, "bf16": b}))',
].join('\n');

let probed: Promise<TorchInfo> | null = null;

/** Interpreters to try, in order, without duplicates. */
export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = env.DURN_PYTHON ? [env.DURN_PYTHON] : ['python3', '/usr/bin/python3'];
  return [...new Set(list)];
}

function probeOne(python: string): Promise<TorchInfo | string> {
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) {
        const why = /No module named/.test(stderr)
          ? 'has no torch module'
          : (stderr.trim().split('\n').pop() ?? err.message);
        resolve(`${python}: ${why || err.message}`);
        return;
      }
      try {
        const j = JSON.parse(stdout.trim().split('\n').pop() ?? '') as {
          torch: string;
          cuda: number;
          gpu: string | null;
          bf16?: boolean;
        };
        resolve({ python, torch: j.torch, cudaDevices: j.cuda, gpu: j.gpu, cpuBf16: j.bf16 === true });
      } catch {
        resolve(`${python}: unexpected probe output`);
      }
    });
  });
}

async function probe(env: NodeJS.ProcessEnv): Promise<TorchInfo> {
  const tried: string[] = [];
  for (const python of pythonCandidates(env)) {
    const r = await probeOne(python);
    if (typeof r !== 'string') return r;
    tried.push(r);
  }
  throw new DurnUserError(
    'BACKEND_UNAVAILABLE',
    `Expected a Python with PyTorch for the torch engine but received none (${tried.join('; ')})`,
    { hint: TORCH_INSTALL_HINT },
  );
}

/** The Python and torch this process uses; rejects with one user error naming both install routes. */
export function findTorch(env: NodeJS.ProcessEnv = process.env): Promise<TorchInfo> {
  if (env !== process.env) return probe(env);
  probed ??= probe(env);
  return probed;
}

/** Whether torch is usable, without throwing (engine selection, test skips). */
export async function torchAvailable(): Promise<TorchInfo | null> {
  try {
    return await findTorch();
  } catch {
    return null;
  }
}
