/**
 * Every library stop path (a call's `signal`, `restore()`'s signal, `cancelCurrent()`, `stop()`)
 * abandons a tile that ONNX Runtime is running without killing the process: the call rejects with
 * ABORTED and the process lives on and exits normally.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { writePhotos } from '../../helpers/binary.ts';
import { writeScratchWeights } from '../../helpers/models.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-cancel-'));
  await writeScratchWeights(join(dir, 'models'), 'deblur');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

test('aborting during a native tile run rejects with ABORTED and the process survives', async () => {
  const photos = await writePhotos(join(dir, 'photos'), 3, 256);
  const r = spawnSync(process.execPath, [join(import.meta.dirname, 'cancel-child.ts'), ...photos], {
    encoding: 'utf8',
    env: { ...process.env, DURN_MODELS_DIR: join(dir, 'models') },
    timeout: 300_000,
  });
  expect(r.stderr).not.toMatch(/terminate called|Napi::Error/);
  expect(r.status).toBe(0);
  const lines = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines).toEqual([
    { case: 'restorer', result: 'ABORTED' },
    { case: 'one-shot', result: 'ABORTED' },
    { case: 'run', summary: { done: 0, stopped: true, cancelled: 1 } },
  ]);
}, 300_000);
