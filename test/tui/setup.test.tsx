import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Catalog } from '../../src/tui/setup/catalog.ts';
import { loadCatalog } from '../../src/tui/setup/catalog.ts';
import { DEFAULTS } from '../../src/tui/setup/remembered.ts';
import { SetupApp } from '../../src/tui/setup/SetupApp.tsx';
import {
  initialSetupState,
  reviewProblems,
  type SetupResult,
  type SetupState,
  toRemembered,
} from '../../src/tui/state/setup-state.ts';
import { eventually } from './fixtures.ts';
import { KEY, photoTree } from './helpers.ts';

let root: string;
let catalog: Catalog;

beforeAll(async () => {
  root = await photoTree([
    'trip/a.jpg',
    'trip/b.PNG',
    'trip/notes.txt',
    'trip/day2/c.webp',
    'empty/',
    'x.heic',
  ]);
  catalog = loadCatalog();
});
afterAll(() => rm(root, { recursive: true, force: true }));
afterEach(() => cleanup());

function mount(overrides: Partial<Parameters<typeof initialSetupState>[0]> = {}) {
  const done: { result: SetupResult; state: SetupState }[] = [];
  const initial = initialSetupState({
    cwd: root,
    home: root,
    catalog,
    remembered: DEFAULTS,
    maxWorkers: 4,
    ...overrides,
  });
  const t = render(<SetupApp initial={initial} onDone={(result, state) => done.push({ result, state })} />);
  const frame = () => t.lastFrame() ?? '';
  const press = async (key: string, until: string | RegExp) => {
    t.stdin.write(key);
    await eventually(() => expect(frame()).toMatch(until));
  };
  return { t, frame, done, press };
}

describe('the catalog', () => {
  test('lists presets with their steps and every task, with network and weights status', () => {
    const night = catalog.choices.find((c) => c.kind === 'preset' && c.id === 'night-shot');
    expect(night?.steps.map((s) => s.task)).toEqual(['denoise', 'deblur']);
    const denoise = catalog.choices.find((c) => c.kind === 'task' && c.id === 'denoise');
    expect(denoise?.steps[0]?.networks).toMatch(/DuRN-P.*\(grey\)/);
    expect(denoise?.steps[0]?.networks).toMatch(/DuRN-P without norm \(colour\)/);
    expect(['present', 'partial', 'missing']).toContain(denoise?.weights);
    // Single-task presets are not listed twice.
    expect(catalog.choices.filter((c) => c.id === 'denoise')).toHaveLength(1);
  });
});

describe('set-up screens', () => {
  test('browse to a folder, choose a preset, output and options, review, start', async () => {
    const { frame, press, done } = mount();
    // Counts are recursive, as `durn restore` searches folders: trip has 3, the root 4.
    await eventually(() => expect(frame()).toContain('trip/  3 images'));
    await eventually(() => expect(frame()).toContain('Use this folder (4 images)'));
    expect(frame()).toContain('empty/  0 images');
    expect(frame()).toContain('x.heic');
    expect(frame()).not.toContain('notes.txt');
    expect(frame()).toContain('step 1 of 5');
    // rows: this, .., empty/, trip/, x.heic
    await press(KEY.down, /› .*\.\.\//);
    await press('j', /› .*empty\//);
    await press('j', /› .*trip\//);
    await press(KEY.enter, /day2\/ {2}1 image$/m);
    expect(frame()).toContain('Use this folder (3 images)');
    await press(KEY.enter, /step 2 of 5/);
    expect(frame()).toContain('Choose a preset or a task');
    // The highlighted choice's steps, networks and weights are shown.
    const first = catalog.choices[0]!;
    expect(frame()).toContain(first.description.slice(0, 40));
    await press('j', new RegExp(`› .*${catalog.choices[1]!.title}`));
    await press(KEY.enter, /step 3 of 5/);
    expect(frame()).toContain(join(root, 'trip', 'restored'));
    await press(KEY.ctrlU, /› ▏|› $/m);
    await press('out', /› out/);
    await press(KEY.enter, /step 4 of 5/);
    await press('l', /‹ jpeg ›/);
    await press('j', /› Overwrite/);
    await press(' ', /yes, replace existing outputs/);
    await press(KEY.enter, /step 5 of 5/);
    const review = frame();
    expect(review).toContain('1 selected, 3 images');
    expect(review).toContain(join(root, 'out'));
    expect(review).toContain('jpeg');
    expect(review).toContain('Press enter to start');
    await press(KEY.enter, /^$/);
    expect(done).toHaveLength(1);
    const { result, state } = done[0]!;
    const choice = catalog.choices[1]!;
    expect(result).toEqual({
      kind: 'start',
      options: {
        inputs: [join(root, 'trip')],
        [choice.kind]: choice.id,
        outDir: join(root, 'out'),
        format: 'jpeg',
        overwrite: true,
        engine: 'auto',
        device: 'auto',
      },
    });
    expect(toRemembered(state)).toMatchObject({
      folder: join(root, 'trip'),
      outDir: join(root, 'out'),
      format: 'jpeg',
    });
  });

  test('type a path: a folder opens, an image is selected, a missing path is an error', async () => {
    const { frame, press } = mount();
    await eventually(() => expect(frame()).toContain('Use this folder (4 images)'));
    await press(KEY.tab, /enter go \/ add/);
    await press('nowhere', /Path nowhere/);
    await press(KEY.enter, /No such file or folder: .*nowhere/);
    await press(KEY.ctrlU, /Path ▏/);
    await press('trip/a.jpg', /Path trip\/a\.jpg/);
    await press(KEY.enter, /Selected a\.jpg|Selected trip\/a\.jpg/);
    expect(frame()).toContain('Continue with 1 selected (1 image)');
    await press('trip', /Path trip/);
    await press(KEY.enter, /day2\/ {2}1 image$/m);
    expect(frame()).toMatch(/Folder .*trip$/m);
    expect(frame()).toContain('Use this folder (3 images)');
  });

  test('space selects several inputs; esc goes back a screen, and quits from the first', async () => {
    const { t, frame, press, done } = mount();
    await eventually(() => expect(frame()).toContain('x.heic'));
    for (const k of 'jjj') t.stdin.write(k);
    await press('j', /› .*x\.heic/);
    await press(' ', /\[x\] x\.heic/);
    await press('k', /› .*trip\//);
    await press(' ', /\[x\] trip\//);
    await eventually(() => expect(frame()).toContain('Continue with 2 selected (4 images)'));
    // "Continue" is the first row once something is selected.
    for (const k of 'kkkk') t.stdin.write(k);
    await press('k', /› Continue/);
    await press(KEY.enter, /step 2 of 5/);
    await press(KEY.esc, /step 1 of 5/);
    expect(frame()).toContain('[x] trip/');
    await press(KEY.esc, /^$/);
    expect(done[0]?.result).toEqual({ kind: 'quit' });
  });

  test('remembered settings are the defaults, and a corrupt config shows its notice', async () => {
    const choice = catalog.choices.at(-1)!;
    const { frame, press } = mount({
      remembered: {
        ...DEFAULTS,
        folder: join(root, 'trip'),
        choice: { kind: choice.kind, id: choice.id },
        engine: 'tfjs',
      },
      notices: ['Ignored /x/tui.json: it is not valid JSON; using defaults.'],
    });
    await eventually(() => expect(frame()).toContain('Use this folder (3 images)'));
    expect(frame()).toContain('! Ignored /x/tui.json: it is not valid JSON');
    await press(KEY.enter, /step 2 of 5/);
    expect(frame()).toMatch(new RegExp(`› .*${choice.title}`));
  });

  test('review warns about missing weights and empty selections', () => {
    const s = initialSetupState({ cwd: root, home: root, catalog, remembered: DEFAULTS, maxWorkers: 2 });
    expect(reviewProblems(s)).toContain('No inputs selected.');
    const missing = catalog.choices.findIndex((c) => c.weights === 'missing');
    if (missing >= 0) {
      expect(reviewProblems({ ...s, choice: missing }).join('\n')).toMatch(/Weights are missing/);
    }
    const withEmpty: SetupState = {
      ...s,
      selected: [{ path: join(root, 'empty'), kind: 'folder' }],
      counts: { [join(root, 'empty')]: { images: 0, capped: false } },
    };
    expect(reviewProblems(withEmpty)).toContain('The selected folders contain no images.');
  });
});
