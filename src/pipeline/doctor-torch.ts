/**
 * The PyTorch check of `durn doctor`: which Python interpreter imports torch, its version, and the
 * CUDA devices it sees. Python is DURN_PYTHON, else `python3`, else Debian's /usr/bin/python3 (a
 * pyenv or venv `python3` often shadows the one python3-torch installs into).
 */
import { execFile } from 'node:child_process';
import type { Check } from './doctor.ts';

const PROBE =
  'import json, torch\n' +
  'c = torch.cuda.is_available()\n' +
  'print(json.dumps({"torch": torch.__version__, "cuda": c, "threads": torch.get_num_threads(),' +
  ' "devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if c else []}))';

interface Probe {
  torch: string;
  cuda: boolean;
  threads: number;
  devices: string[];
}

function run(python: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    execFile(python, ['-c', PROBE], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) {
        const lines = String(stderr || err.message)
          .trim()
          .split('\n');
        reject(new Error(lines[lines.length - 1] ?? err.message));
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as Probe);
      } catch {
        reject(new Error(`unexpected output: ${stdout.slice(0, 120)}`));
      }
    });
  });
}

export function pythonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.DURN_PYTHON) return [env.DURN_PYTHON];
  return process.platform === 'win32' ? ['python3', 'python'] : ['python3', '/usr/bin/python3'];
}

export async function probeTorch(env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const tried: string[] = [];
  for (const python of [...new Set(pythonCandidates(env))]) {
    try {
      const p = await run(python);
      const checks: Check[] = [
        {
          name: 'Python + PyTorch',
          status: 'ok',
          detail: `${python}: torch ${p.torch}, ${p.threads} CPU threads`,
        },
      ];
      checks.push(
        p.cuda
          ? { name: 'PyTorch CUDA', status: 'ok', detail: p.devices.join(', ') }
          : {
              name: 'PyTorch CUDA',
              status: 'missing',
              detail: 'no CUDA device visible to torch',
              hint: 'CPU only; a CUDA build of PyTorch and an NVIDIA driver enable --device cuda',
            },
      );
      return checks;
    } catch (err) {
      tried.push(`${python}: ${(err as Error).message}`);
    }
  }
  return [
    {
      name: 'Python + PyTorch',
      status: 'missing',
      detail: `optional; ${tried.join('; ')}`,
      hint: 'for the torch engine: `pip install torch` or `apt-get install python3-torch`, or point DURN_PYTHON at a Python that has it',
    },
  ];
}
