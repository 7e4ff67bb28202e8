/**
 * A real redis-server for a test: on a free loopback port, in its own temp folder (AOF on when
 * asked), stopped and removed afterwards. Tests skip with a message when redis-server is absent
 * (Debian: apt-get install redis-server; `.ci/run` installs it).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = spawnSync('sh', ['-c', 'command -v redis-server'], {
  encoding: 'utf8',
}).stdout.trim();
export const HAS_REDIS = REDIS_SERVER !== '';
if (!HAS_REDIS)
  console.warn(
    'redis-server is not installed: the distributed-mode tests are skipped (apt-get install redis-server)',
  );

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server (SIGTERM, which with AOF on has written everything) and starts it again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function waitReady(
  port: number,
  password: string | undefined,
  proc: ChildProcess,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ping = spawnSync(
      'redis-cli',
      ['-p', String(port), ...(password ? ['--no-auth-warning', '-a', password] : []), 'ping'],
      {
        encoding: 'utf8',
      },
    );
    if (ping.stdout?.trim() === 'PONG') return;
    if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}):\n${log()}`);
    if (Date.now() > deadline) throw new Error(`redis-server did not start:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedis(opts: { aof?: boolean; password?: string } = {}): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'durn-redis-'));
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--protected-mode',
    'yes',
    ...(opts.aof ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ...(opts.password ? ['--requirepass', opts.password] : []),
  ];
  let proc: ChildProcess;
  let output = '';
  const launch = async () => {
    output = '';
    proc = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    proc.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitReady(port, opts.password, proc, () => output);
  };
  const halt = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    url: `redis://${opts.password ? `:${encodeURIComponent(opts.password)}@` : ''}127.0.0.1:${port}`,
    port,
    dir,
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
