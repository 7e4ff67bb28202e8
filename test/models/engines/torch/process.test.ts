/**
 * The torch engine's process life: a real Node process opens a session (which starts Python),
 * then is killed with SIGKILL, SIGTERM or SIGINT; the Python process must not outlive it. Also the
 * one error users see when no Python has torch.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DurnUserError } from '../../../../src/core/errors.ts';
import { findTorch } from '../../../../src/models/engines/torch/python.ts';
import { PROJECT_ROOT } from '../../../helpers/shared.ts';
import { describeTorch } from '../../../helpers/torch.ts';

const src = (p: string) => pathToFileURL(join(PROJECT_ROOT, 'src', p)).href;

const CHILD = `
import { createSession } from '${src('models/engines/index.ts')}';
import { getNetwork } from '${src('models/networks/index.ts')}';
import { initialWeights } from '${src('models/weights/init.ts')}';
import { liveTorchPids } from '${src('models/engines/torch/process.ts')}';
const network = getNetwork('durn-p');
const s = await createSession({ network, weights: initialWeights(network, 1), engine: 'torch', device: 'cpu', threads: 1 });
await s.run({ data: new Float32Array(32 * 32), channels: 1, height: 32, width: 32 });
console.log(JSON.stringify({ pids: liveTorchPids() }));
setInterval(() => {}, 1000);
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

describeTorch('torch engine process clean-up', () => {
  let dir = '';
  let script = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'durn-torch-'));
    script = join(dir, 'child.ts');
    await writeFile(script, CHILD);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT'] as const) {
    it(`no Python process outlives a parent killed with ${signal}`, async () => {
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]!);
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      const { pids } = JSON.parse(line) as { pids: number[] };
      expect(pids).toHaveLength(1);
      expect(alive(pids[0]!)).toBe(true);
      child.kill(signal);
      // Bounded wait for the exit to propagate (seconds at most), not a speed assertion.
      expect(await gone(pids[0]!, 15_000)).toBe(true);
    }, 120_000);
  }
});

it('names both install routes and DURN_PYTHON when no Python has torch', async () => {
  const err = await findTorch({ DURN_PYTHON: '/nonexistent/python3' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DurnUserError);
  const e = err as DurnUserError;
  expect(e.code).toBe('BACKEND_UNAVAILABLE');
  expect(e.message).toContain('/nonexistent/python3');
  expect(e.hint).toContain('pip install torch');
  expect(e.hint).toContain('apt-get install python3-torch');
  expect(e.hint).toContain('DURN_PYTHON');
});
