/**
 * Stopping a run never crashes it: SIGINT/SIGTERM while ONNX Runtime is inside a tile end the run
 * cleanly with status 130 (a worker thread is never torn down mid native call), a closed stdout
 * does not stop the work, and an output folder that cannot be created is an error, not a hang.
 * Through the real binary.
 */

import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, ensureBuilt, runDurn, startDurn, writePhotos } from '../helpers/binary.ts';
import { writeScratchWeights } from '../helpers/models.ts';

let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'durn-interrupt-'));
  await writePhotos(join(dir, 'photos'), 4, 256);
  await writeScratchWeights(join(dir, 'models'), 'deblur');
  env = { DURN_MODELS_DIR: join(dir, 'models') };
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('interrupting durn restore', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} while a tile runs: a clean stop, status 130, no partial file`, async () => {
      const out = join(dir, `out-${signal}`);
      const run = startDurn(
        [
          'restore',
          join(dir, 'photos'),
          '--task',
          'deblur',
          '--out',
          out,
          '--workers',
          '1',
          '--device',
          'cpu',
        ],
        { env },
      );
      // The second photo's tile runs in a worker whose session is already open: the signal lands
      // inside ONNX Runtime's native run().
      await run.waitFor(/p0\.jpg →[\s\S]*p1\.jpg: step 1 deblur, 1 tile/);
      await new Promise((r) => setTimeout(r, 300));
      run.child.kill(signal);
      const r = await run.done;
      expect(r.stderr).not.toMatch(/terminate called|Napi::Error/);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(130);
      expect(r.stdout).toMatch(/skipped/);
      const written = await readdir(out);
      expect(written).toContain('p0.jpg');
      expect(written.filter((f) => f.includes('durn-tmp'))).toEqual([]);
    });
  }

  test('a second Ctrl-C during a tile leaves at once, as interrupted, without a crash', async () => {
    const run = startDurn(
      ['restore', join(dir, 'photos'), '--task', 'deblur', '--out', join(dir, 'out-twice'), '--workers', '1'],
      { env },
    );
    await run.waitFor(/p0\.jpg: step 1 deblur, 1 tile/);
    run.child.kill('SIGINT');
    await run.waitFor(/Ctrl-C again/);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.stderr).not.toMatch(/terminate called|Napi::Error/);
    // Ended by SIGINT's default action: a shell reports status 130.
    expect(r.signal).toBe('SIGINT');
  });

  test('a closed stdout (| head -1) does not stop the work', async () => {
    const out = join(dir, 'out-pipe');
    const photos = [join(dir, 'photos', 'p0.jpg')];
    const r = spawnSync(
      'sh',
      [
        '-c',
        `"${process.execPath}" "${BIN}" restore "$@" | head -1`,
        'sh',
        ...photos,
        '--task',
        'deblur',
        '--out',
        out,
      ],
      { encoding: 'utf8', env: { ...process.env, ...env, CI: '' } },
    );
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
    expect(await readdir(out)).toEqual(['p0.jpg']);
  });

  test('an output folder that cannot be created is refused before any work, not a hang', async () => {
    const r = await runDurn(
      ['restore', join(dir, 'photos', 'p0.jpg'), '--task', 'deblur', '--out', '/proc/nope/x'],
      {
        env,
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Expected a folder that can be created for \/proc\/nope\/x/);
    expect(r.stdout).not.toMatch(/step 1/);
  });
});
