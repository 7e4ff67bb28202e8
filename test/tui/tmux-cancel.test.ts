/**
 * The run dashboard's stop keys in a real terminal (tmux): `c` while ONNX Runtime runs a tile
 * cancels that photo, `q` then `y` stops the run; neither kills the process ("terminate called
 * after throwing Napi::Error"), and an interrupted run exits 130. Skipped when tmux is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, ensureBuilt, writePhotos } from '../helpers/binary.ts';
import { writeScratchWeights } from '../helpers/models.ts';

const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
if (!HAS_TMUX)
  console.warn('test/tui/tmux-cancel.test.ts: skipped because tmux is not installed (apt-get install tmux)');

const name = `durn-cancel-${process.pid}`;
let dir: string;
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-S', '-100', '-t', name);
const keys = (...k: string[]) => tmux('send-keys', '-t', name, ...k);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pattern: RegExp, timeoutMs = 180_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = screen();
    if (pattern.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on the screen:\n${s}`);
    await pause(100);
  }
}

describe.skipIf(!HAS_TMUX)('dashboard stop keys during a native tile run', () => {
  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'durn-tui-cancel-'));
    // 512²: four times the work of 256², where a warm photo took 0.8 s in CI and p2 finished
    // between `q` and `y` (the run goes on while the quit dialog asks), stopping with 2 restored.
    await writePhotos(join(dir, 'photos'), 4, 512);
    await writeScratchWeights(join(dir, 'models'), 'deblur');
  }, 300_000);
  afterAll(async () => {
    spawnSync('tmux', ['kill-session', '-t', name]);
    await rm(dir, { recursive: true, force: true });
  });

  test('c cancels the photo being restored, q → y stops the run: exit 130, no crash', async () => {
    const out = join(dir, 'out');
    // `restore` draws its dashboard only outside CI (src/tui/terminal.ts); CI=true is set where
    // this suite runs in CI, and a terminal is what this test is about.
    const command =
      `env -u CI DURN_MODELS_DIR=${join(dir, 'models')} node ${BIN} restore ${join(dir, 'photos')} ` +
      `--task deblur --out ${out} --workers 1 --device cpu`;
    tmux(
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      '100',
      '-y',
      '30',
      `${command} 2>&1; echo "EXIT=$?"; sleep 300`,
    );
    // Once p0 is done the session is warm: p1's tile is inside ONNX Runtime's run() when `c` comes.
    await waitFor(/✓ .*p0\.jpg/);
    await waitFor(/▶ .*p1\.jpg/);
    await pause(500);
    keys('c');
    await waitFor(/▶ .*p2\.jpg/);
    await pause(500);
    keys('q');
    await waitFor(/Quit this run\?/);
    keys('y');
    const text = await waitFor(/EXIT=\d+/);
    expect(text).not.toMatch(/terminate called|Napi::Error/);
    expect(text).toMatch(/^Stopped: 1 restored, 0 failed, 3 skipped/m);
    expect(text).toContain('EXIT=130');
    expect(await readdir(out)).toEqual(['p0.jpg']);
    // Four photos through DuRN-U in a terminal: on a loaded 2-core machine this outlasts the
    // default test timeout; the waits above bound each step instead.
  }, 600_000);
});
