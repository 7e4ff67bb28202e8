/**
 * The real `durn` binary (bin/durn.js → dist/) for tests of what a user sees: exit statuses,
 * signals, pipes. `ensureBuilt()` runs `npm run build` when dist/ is older than src/, once at a
 * time across test files (a lock folder), so parallel test files never read a half-written dist/.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/durn.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), `durn-build-lock-${ROOT.replaceAll('/', '_')}`);
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const cli = join(ROOT, 'dist/cli.js');
    if (!existsSync(cli) || statSync(cli).mtimeMs < newestMtime(join(ROOT, 'src'))) {
      // Type errors elsewhere must not stop the build: tsc emits anyway; the typecheck reports them.
      spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    }
  } finally {
    rmdirSync(lock);
  }
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Running {
  readonly child: ChildProcess;
  /** Resolves once stdout+stderr so far match the pattern. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  readonly done: Promise<Finished>;
}

/** Starts `node bin/durn.js …args`; stdin is closed, so no UI is drawn. */
export function startDurn(
  args: readonly string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Running {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, CI: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of watchers.splice(0)) {
      if (w.pattern.test(stdout + stderr)) w.resolve();
      else watchers.push(w);
    }
  };
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    check();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    check();
  });
  const done = new Promise<Finished>((resolveDone) => {
    child.on('close', (code, signal) => resolveDone({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    waitFor: (pattern, timeoutMs = 120_000) =>
      new Promise<void>((res, rej) => {
        const timer = setTimeout(
          () => rej(new Error(`timed out waiting for ${pattern}:\n${stdout}\n${stderr}`)),
          timeoutMs,
        );
        void done.then(() => {
          clearTimeout(timer);
          if (pattern.test(stdout + stderr)) res();
          else rej(new Error(`durn exited before ${pattern}:\n${stdout}\n${stderr}`));
        });
        watchers.push({
          pattern,
          resolve: () => {
            clearTimeout(timer);
            res();
          },
        });
        check();
      }),
  };
}

/** Runs durn to its end. */
export function runDurn(
  args: readonly string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Finished> {
  return startDurn(args, opts).done;
}

/** `count` colour JPEGs of size×size with some texture, named p0.jpg, p1.jpg, … */
export async function writePhotos(dir: string, count: number, size: number, ext = 'jpg'): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const px = Buffer.alloc(size * size * 3);
    for (let j = 0; j < px.length; j++) px[j] = (j * 7 + i * 13 + (j % 97)) % 256;
    const file = join(dir, `p${i}.${ext}`);
    const img = sharp(px, { raw: { width: size, height: size, channels: 3 } });
    await (ext === 'png' ? img.png() : ext === 'tif' ? img.tiff() : img.jpeg()).toFile(file);
    files.push(file);
  }
  return files;
}
