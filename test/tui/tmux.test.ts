/**
 * Drives the real `durn` binary in a pseudo-terminal (tmux): the set-up screens on a folder of
 * photos, through review, then a real run (seeded, untrained denoise weights, so it is quick) to
 * the summary. Skipped, saying why, when tmux is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { writeScratchWeights } from '../helpers/models.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
if (!HAS_TMUX)
  console.warn('test/tui/tmux.test.ts: skipped because tmux is not installed (apt-get install tmux)');

const sessions: string[] = [];
let photos: string;
let config: string;

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' });
}

function start(command: string): string {
  const name = `durn-tui-${process.pid}-${sessions.length}`;
  sessions.push(name);
  // The shell stays after durn exits so its last output and exit status can be read.
  tmux('new-session', '-d', '-s', name, '-x', '100', '-y', '30', `${command}; echo "EXIT=$?"; sleep 120`);
  return name;
}

const screen = (name: string, escapes = false) =>
  tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', name);

async function waitFor(name: string, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = screen(name);
    if (pattern.test(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on the screen:\n${s}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const keys = (name: string, ...k: string[]) => tmux('send-keys', '-t', name, ...k);

describe.skipIf(!HAS_TMUX)('durn tui in a real terminal (tmux)', () => {
  beforeAll(async () => {
    // Build the binary's dist/. Other rooms' type errors must not hide ours; tsc emits anyway.
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    const ours = (build.stdout + build.stderr).split('\n').filter((l) => /^src\/(tui\/|cli\.ts)/.test(l));
    expect(ours).toEqual([]);
    expect(existsSync(join(ROOT, 'dist/cli.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist/tui/render.js'))).toBe(true);
    photos = await mkdtemp(join(tmpdir(), 'durn-tui-photos-'));
    await mkdir(join(photos, 'Holiday', 'sub'), { recursive: true });
    for (const [i, name] of ['Holiday/a.png', 'Holiday/b.png', 'Holiday/sub/c.png'].entries()) {
      const px = Buffer.alloc(40 * 30, 40 + i * 60);
      await sharp(px, { raw: { width: 40, height: 30, channels: 1 } })
        .toColourspace('b-w')
        .png()
        .toFile(join(photos, name));
    }
    await writeFile(join(photos, 'readme.txt'), 'not a photo');
    config = await mkdtemp(join(tmpdir(), 'durn-tui-cfg-'));
    await writeScratchWeights(join(config, 'models'), 'denoise', ['durn-p']);
  }, 300_000);

  afterEach(() => {
    for (const s of sessions.splice(0)) spawnSync('tmux', ['kill-session', '-t', s]);
  });
  afterAll(async () => {
    await rm(photos, { recursive: true, force: true });
    await rm(config, { recursive: true, force: true });
  });

  test('set-up from folder to review, then start: the run reports its outcome and the summary is printed', async () => {
    // CI=true as CI machines set it: an explicit `durn tui` on a terminal is drawn all the same.
    const env = `CI=true DURN_CONFIG_DIR=${config} DURN_MODELS_DIR=${join(config, 'models')}`;
    const s = start(`cd ${photos} && ${env} node ${join(ROOT, 'bin/durn.js')} tui`);
    await waitFor(s, /Use this folder \(3 images\)/);
    // Subfolders are counted one after another; wait for Holiday's count too.
    let text = await waitFor(s, /Holiday\/\s+3 images/);
    expect(text).toContain('step 1 of 5');
    expect(text).not.toContain('readme.txt');
    keys(s, 'Down', 'Down'); // this, .., Holiday/
    await waitFor(s, /› \[ \] Holiday\//);
    keys(s, 'Enter');
    await waitFor(s, /sub\/\s+1 image/);
    keys(s, 'Enter'); // use this folder
    text = await waitFor(s, /step 2 of 5/);
    expect(text).toMatch(/weights/);
    // Presets come first; walk down to the denoise task (the one with weights here).
    // One key at a time, each waited for until the cursor moved (a loaded machine renders late,
    // and keys sent ahead of the frame overshoot).
    for (let i = 0; i < 12 && !/› task\s+Denoise/.test(screen(s)); i++) {
      const before = screen(s).match(/^› .*$/m)?.[0];
      keys(s, 'Down');
      const deadline = Date.now() + 10_000;
      while (screen(s).match(/^› .*$/m)?.[0] === before && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // Only the grey network's weights exist: the colour one is reported missing.
    text = await waitFor(s, /› task\s+Denoise.*some weights missing/);
    keys(s, 'Enter');
    text = await waitFor(s, /step 3 of 5/);
    expect(text).toContain(join(photos, 'Holiday', 'restored'));
    keys(s, 'Enter');
    await waitFor(s, /step 4 of 5/);
    keys(s, 'Right', 'Right'); // format: png
    await waitFor(s, /‹ png ›/);
    keys(s, 'Enter');
    text = await waitFor(s, /step 5 of 5/);
    expect(text).toContain('1 selected, 3 images');
    expect(text).toContain('Task       Denoise: denoise');
    expect(text).toContain('Press enter to start');
    // Esc goes back a screen and enter returns.
    keys(s, 'Escape');
    await waitFor(s, /step 4 of 5/);
    keys(s, 'Enter');
    await waitFor(s, /step 5 of 5/);
    keys(s, 'Enter');
    // The real pipeline restores the three photos; the summary screen waits for a key.
    text = await waitFor(s, /Finished: 3 restored, 0 failed, 0 skipped/, 180_000);
    expect(text).toMatch(/✓ .*a\.png/);
    expect(text).toContain('q/enter exit');
    keys(s, 'q');
    text = await waitFor(s, /EXIT=\d/);
    // The UI is gone and the same summary is printed as plain text.
    expect(text).toMatch(/^Finished: 3 restored, 0 failed, 0 skipped/m);
    expect(text).toContain('EXIT=0');
    expect(await readdir(join(photos, 'Holiday', 'restored'))).toEqual(
      expect.arrayContaining(['a.png', 'b.png']),
    );
    const saved = JSON.parse(await readFile(join(config, 'tui.json'), 'utf8'));
    expect(saved).toMatchObject({
      version: 1,
      folder: join(photos, 'Holiday'),
      format: 'png',
      choice: { kind: 'task', id: 'denoise' },
    });
  });

  test('`durn` with no arguments opens the set-up in the remembered folder; q quits; NO_COLOR has no colour', async () => {
    const own = join(config, 'remembered');
    await mkdir(own);
    await writeFile(join(own, 'tui.json'), JSON.stringify({ version: 1, folder: join(photos, 'Holiday') }));
    const durn = `node ${join(ROOT, 'bin/durn.js')}`;
    // Under CI, `durn` alone prints the help even on a terminal; elsewhere it opens the set-up.
    const ci = start(`cd ${photos} && CI=1 DURN_CONFIG_DIR=${own} ${durn}`);
    await waitFor(ci, /EXIT=\d/);
    expect(tmux('capture-pane', '-p', '-S', '-200', '-t', ci)).toMatch(/Usage: durn[\s\S]*EXIT=2/);
    const s = start(`cd ${photos} && unset CI; NO_COLOR=1 DURN_CONFIG_DIR=${own} ${durn}`);
    await waitFor(s, /Choose the photos/);
    // Browsing resumes in the remembered folder. Waiting for its listing also makes the frame
    // complete before it is checked for escapes.
    const text = await waitFor(s, /sub\/\s+1 image/);
    expect(text).toMatch(/Folder .*\/Holiday$/m);
    expect(screen(s, true)).not.toContain('\u001B[');
    keys(s, 'q');
    await waitFor(s, /EXIT=0/);
  });
});
