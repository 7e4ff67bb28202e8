import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { shouldUseTui } from '../../src/tui/render.tsx';
import { DEFAULTS, loadRemembered, rememberedPath, saveRemembered } from '../../src/tui/setup/remembered.ts';
import { withDefaultCommand } from '../../src/tui/terminal.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-tui-config-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('remembered settings', () => {
  test('live in $DURN_CONFIG_DIR, else $XDG_CONFIG_HOME/durn, else ~/.config/durn', () => {
    expect(rememberedPath({ env: { DURN_CONFIG_DIR: '/c' }, home: '/h' })).toBe('/c/tui.json');
    expect(rememberedPath({ env: { XDG_CONFIG_HOME: '/x' }, home: '/h' })).toBe('/x/durn/tui.json');
    expect(rememberedPath({ env: {}, home: '/h' })).toBe('/h/.config/durn/tui.json');
  });

  test('a missing file gives the defaults without a notice', async () => {
    expect(await loadRemembered(join(dir, 'tui.json'))).toEqual({ value: DEFAULTS });
  });

  test('save then load round-trips, creating the folder, leaving no temp file', async () => {
    const path = join(dir, 'nested', 'tui.json');
    const value = { ...DEFAULTS, folder: '/photos', outDir: '/out', format: 'png' as const, workers: 3 };
    await saveRemembered(path, value);
    expect(await loadRemembered(path)).toEqual({ value });
    expect(await readdir(join(dir, 'nested'))).toEqual(['tui.json']);
  });

  test('a corrupt file is ignored with a notice, never a crash', async () => {
    const path = join(dir, 'tui.json');
    await writeFile(path, '{"version": 1, "folder": "/pho');
    const r = await loadRemembered(path);
    expect(r.value).toEqual(DEFAULTS);
    expect(r.notice).toMatch(/not valid JSON/);
  });

  test('a file that does not match the schema is ignored, naming the bad field', async () => {
    const path = join(dir, 'tui.json');
    await writeFile(path, JSON.stringify({ version: 1, engine: 'cuda-turbo' }));
    const r = await loadRemembered(path);
    expect(r.value).toEqual(DEFAULTS);
    expect(r.notice).toMatch(/engine/);
  });

  test('an unreadable path (a folder) is a notice too', async () => {
    const r = await loadRemembered(dir);
    expect(r.notice).toMatch(/Could not read/);
  });

  test('saving replaces the whole file', async () => {
    const path = join(dir, 'tui.json');
    await saveRemembered(path, { ...DEFAULTS, folder: '/a/very/long/folder/name/to/shrink/later' });
    await saveRemembered(path, { ...DEFAULTS, folder: '/b' });
    expect(JSON.parse(await readFile(path, 'utf8')).folder).toBe('/b');
  });
});

describe('shouldUseTui', () => {
  const tty = { isTTY: true };
  test('only on a terminal, never for --json, pipes, CI or TERM=dumb', () => {
    expect(shouldUseTui({ stdout: tty, env: {} })).toBe(true);
    expect(shouldUseTui({ json: true, stdout: tty, env: {} })).toBe(false);
    expect(shouldUseTui({ stdout: { isTTY: false }, env: {} })).toBe(false);
    expect(shouldUseTui({ stdout: {}, env: {} })).toBe(false);
    expect(shouldUseTui({ stdout: tty, env: { CI: 'true' } })).toBe(false);
    expect(shouldUseTui({ stdout: tty, env: { CI: 'false' } })).toBe(true);
    expect(shouldUseTui({ stdout: tty, env: { TERM: 'dumb' } })).toBe(false);
  });
});

describe('withDefaultCommand', () => {
  const tty = { isTTY: true };
  const argv = ['node', 'durn'];
  test('`durn` alone opens the UI on a terminal, and prints the help in pipes and CI', () => {
    expect(withDefaultCommand(argv, { stdout: tty, stdin: tty, env: {} })).toEqual([...argv, 'tui']);
    expect(withDefaultCommand(argv, { stdout: tty, stdin: {}, env: {} })).toEqual(argv);
    expect(withDefaultCommand(argv, { stdout: {}, stdin: tty, env: {} })).toEqual(argv);
    expect(withDefaultCommand(argv, { stdout: tty, stdin: tty, env: { CI: '1' } })).toEqual(argv);
    expect(withDefaultCommand([...argv, 'presets'], { stdout: tty, stdin: tty, env: {} })).toEqual([
      ...argv,
      'presets',
    ]);
  });
});
