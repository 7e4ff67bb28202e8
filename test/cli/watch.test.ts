/**
 * `durn watch` as a child process: kill -9 mid-burst then restart, Ctrl-C (SIGINT) shutdown, the
 * one-watcher-per-output lock, and `--status`. Real processes, real signals, real files.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLedgerPath, Ledger } from '../../src/pipeline/watch/index.ts';
import { writeScratchWeights } from '../helpers/models.ts';
import { listFiles, waitFor, writeGreyPng } from '../pipeline/watch/helpers.ts';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-watch-cli-'));
  await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p']);
  env = { ...process.env, DURN_MODELS_DIR: join(dir, 'models') };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Child {
  readonly proc: ChildProcess;
  readonly events: { type: string; [k: string]: unknown }[];
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly count: (type: string) => number;
}

function durn(args: string[]): Child {
  const proc = spawn(process.execPath, ['src/cli.ts', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Child['events'] = [];
  let buffered = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const l of lines) if (l.trim()) events.push(JSON.parse(l));
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    proc.on('exit', (code, signal) => res({ code, signal })),
  );
  return {
    proc,
    events,
    exited,
    stderr: () => err,
    count: (type) => events.filter((e) => e.type === type).length,
  };
}

async function photos(input: string, n: number): Promise<string[]> {
  await mkdir(input, { recursive: true });
  const names = Array.from({ length: n }, (_, i) => `img${String(i).padStart(3, '0')}.png`);
  await Promise.all(names.map((name, i) => writeGreyPng(join(input, name), 1000 + i)));
  return names;
}

/** Every output is a complete 16×16 image (a torn write would not decode). */
async function expectCompleteOutputs(out: string): Promise<string[]> {
  const files = (await listFiles(out)).filter((f) => !f.startsWith('.durn/'));
  expect(files.filter((f) => f.includes('.durn-tmp-'))).toEqual([]);
  for (const f of files)
    expect(await sharp(join(out, f)).metadata()).toMatchObject({ width: 16, height: 16 });
  return files;
}

const args = (input: string, out: string) => [
  'watch',
  input,
  '--out',
  out,
  '--task',
  'denoise',
  '--settle',
  '200',
  '--workers',
  '2',
  '--json',
];

describe('durn watch (child process)', () => {
  it('after kill -9 mid-burst, a restart restores every photo once: no duplicates, no partial files', async () => {
    const input = join(dir, 'kill', 'in');
    const out = join(dir, 'kill', 'out');
    const names = await photos(input, 80);
    const first = durn(args(input, out));
    await waitFor(
      () => first.count('file-done') >= 15,
      `15 photos restored before the kill\n${first.stderr()}`,
    );
    first.proc.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const doneBefore = new Set(first.events.filter((e) => e.type === 'file-done').map((e) => e.file));

    const second = durn(args(input, out));
    const ledgerDone = () => second.events.some((e) => e.type === 'ledger' && e.done === 80);
    await waitFor(ledgerDone, `all 80 recorded as done after the restart\n${second.stderr()}`, 120_000);
    second.proc.kill('SIGINT');
    expect(await second.exited).toEqual({ code: 0, signal: null });

    expect(await expectCompleteOutputs(out)).toEqual(names); // one output each: no -2 copies
    const redone = second.events.filter((e) => e.type === 'file-start' && doneBefore.has(e.file as string));
    // Only what was in flight at the kill (at most one per worker) may be redone; finished work never is.
    expect(redone.length).toBeLessThanOrEqual(2);
    expect(second.count('file-start')).toBeLessThanOrEqual(80 - doneBefore.size + 2);
    expect(second.count('file-failed')).toBe(0);
    const l = new Ledger(defaultLedgerPath(out), { recover: false });
    expect(l.counts()).toEqual({ pending: 0, inFlight: 0, done: 80, failed: 0 });
    l.close();
  });

  it('stops on SIGINT with exit status 0 and no partial output, refuses a second watcher, reports --status', async () => {
    const input = join(dir, 'sigint', 'in');
    const out = join(dir, 'sigint', 'out');
    await photos(input, 40);
    const w = durn(args(input, out));
    await waitFor(() => w.count('file-done') >= 3, `3 photos restored\n${w.stderr()}`);

    const rival = durn(args(input, out));
    expect((await rival.exited).code).toBe(2);
    expect(rival.stderr()).toMatch(/Expected no other watcher .* but received one running as process \d+/);

    w.proc.kill('SIGINT');
    expect(await w.exited).toEqual({ code: 0, signal: null });
    expect(w.events.at(-1)).toEqual({ type: 'watch-stop' });
    const outputs = await expectCompleteOutputs(out);
    expect(outputs.length).toBeLessThan(40);

    const status = durn(['watch', '--status', out, '--json']);
    expect((await status.exited).code).toBe(0);
    const s = status.events[0] as unknown as { counts: { done: number; inFlight: number; pending: number } };
    // Every output on disk is recorded done; what was abandoned is in flight, to redo on the next start.
    expect(s.counts.done).toBe(outputs.length);
    expect(s.counts.inFlight + s.counts.pending).toBeLessThanOrEqual(2);
  });
});
