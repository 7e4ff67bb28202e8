/**
 * The demo photos shipped in samples/: reproducible from the script that made them, and what
 * `durn restore samples/` does on an install without trained weights (a packager who ships weights
 * apart, or a user who deleted them): a plain message naming every missing weights file, exit
 * status 2, no stack trace, no output. test/weights/ covers the weights that are shipped.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-samples-shipped-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('shipped samples', () => {
  it('are exactly what scripts/make-samples.ts makes', async () => {
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts/make-samples.ts'), '--check'], {
      cwd: ROOT,
    });
    expect(stdout).toMatch(/up to date/);
  });

  it('`durn restore samples/` without weights says which files are missing and exits 2', async () => {
    const out = join(dir, 'out');
    // No user models and no shipped weights (vitest.config.ts points DURN_WEIGHTS_DIR nowhere).
    const env: NodeJS.ProcessEnv = { ...process.env, DURN_MODELS_DIR: join(dir, 'empty-models') };
    const failure = await run(
      process.execPath,
      [join(ROOT, 'src/cli.ts'), 'restore', join(ROOT, 'samples'), '--task', 'denoise', '--out', out],
      { env, cwd: dir },
    ).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure).not.toBeNull();
    expect(failure!.code).toBe(2);
    expect(failure!.stderr).toMatch(/^durn: No weights for denoise \(networks durn-p-nonorm, durn-p\)/);
    expect(failure!.stderr).toContain('denoise-rgb.durn-p-nonorm.safetensors');
    expect(failure!.stderr).toContain('denoise-gray.durn-p.safetensors');
    expect(failure!.stderr).toMatch(/hint: train them with `durn train denoise/);
    expect(failure!.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(out)).toBe(false);
  });
});
