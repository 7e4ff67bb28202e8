/** Distributed-mode tests: real `durn worker` processes and submitters around a real redis-server. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { BIN } from '../../helpers/build.ts';
import { waitFor } from '../watch/helpers.ts';

export interface Proc {
  readonly child: ChildProcess;
  /** JSON events printed so far (lines that are not JSON are kept in `text`). */
  readonly events: Record<string, unknown>[];
  text: string;
  readonly exited: Promise<number | null>;
}

/** Runs `bin/durn.js …args` with JSON output collected. */
export function durn(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CI: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p: Proc = {
    child,
    events: [],
    text: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        p.events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        p.text += `${line}\n`;
      }
      nl = buf.indexOf('\n');
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    p.text += d.toString();
  });
  return p;
}

/** A worker process; resolves once it is taking jobs. */
export async function startWorker(
  url: string,
  name: string,
  env: Record<string, string>,
  extra: string[] = [],
): Promise<Proc> {
  const w = durn(
    [
      'worker',
      '--queue',
      url,
      '--name',
      name,
      '--workers',
      '1',
      '--device',
      'cpu',
      '--lock-ms',
      '1500',
      '--json',
      ...extra,
    ],
    env,
  );
  await waitFor(
    () => w.events.some((e) => e.type === 'worker-start') || w.child.exitCode !== null,
    `${name} to start`,
    60_000,
  );
  if (w.child.exitCode !== null) throw new Error(`${name} exited: ${w.text}`);
  return w;
}

export async function stopWorker(w: Proc): Promise<number | null> {
  if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGINT');
  return w.exited;
}

export const doneFiles = (p: Proc) =>
  p.events.filter((e) => e.type === 'file-done').map((e) => e.file as string);

/** The decoded pixels of an image (what "equal outputs" means: metadata differs by design). */
export async function pixels(path: string): Promise<Buffer> {
  return sharp(await readFile(path))
    .raw()
    .toBuffer();
}

export async function samePixels(a: string, b: string, names: readonly string[]): Promise<string[]> {
  const differ: string[] = [];
  for (const n of names) if (!(await pixels(join(a, n))).equals(await pixels(join(b, n)))) differ.push(n);
  return differ;
}
