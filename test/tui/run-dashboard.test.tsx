import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import { DurnUserError } from '../../src/core/errors.ts';
import { RunDashboardApp, type RunResult } from '../../src/tui/dashboard/RunDashboard.tsx';
import { eventually, folderRun, goodFile, manualRun, summaryFor } from './fixtures.ts';

afterEach(() => cleanup());

const frameOf = (t: { lastFrame: () => string | undefined }) => t.lastFrame() ?? '';

function mount(opts: { waitAtEnd?: boolean } = {}) {
  const run = manualRun();
  const exits: RunResult[] = [];
  const t = render(
    <RunDashboardApp start={run.start} onExit={(r) => exits.push(r)} waitAtEnd={opts.waitAtEnd ?? true} />,
  );
  return { run, t, exits, frame: () => frameOf(t) };
}

const START = { type: 'run-start', files: 3, chain: 'denoise → deblur', engine: 'onnx' } as const;

describe('run dashboard', () => {
  test('shows running files with per-step bars, tiles, counts and key hints', async () => {
    const { run, frame } = mount();
    run.emit(START, ...goodFile('/photos/a.jpg', 4).slice(0, 10)); // step 0 done, step 1 at 2/4
    await eventually(() => expect(frame()).toContain('2/4 tiles'));
    const f = frame();
    expect(f).toContain('durn · denoise → deblur · onnx');
    expect(f).toMatch(/▶ \/photos\/a\.jpg\s+█+░+\s+75% 12 MP/);
    expect(f).toMatch(/1\/2 denoise \(durn-p-nonorm\)\s+█+ 1\.5 s/);
    expect(f).toMatch(/2\/2 deblur \(durn-u\)\s+█+░+ 2\/4 tiles/);
    expect(f).toContain('Files 0/3');
    expect(f).toContain('MP/s');
    expect(f).toContain('elapsed');
    expect(f).toContain('p pause');
    expect(f).toContain('q quit');
  });

  test('a folder with one bad file: the bad file shows as failed, the others complete, then the summary', async () => {
    const { run, frame, t } = mount();
    const events = folderRun('/photos', ['a.jpg', 'bad.jpg', 'c.jpg']);
    run.emit(...events.slice(0, -1));
    await eventually(() => expect(frame()).toContain('Latest errors'));
    let f = frame();
    expect(f).toMatch(/✓ \/photos\/a\.jpg\s+12 MP 3\.0 s\s+3\.1 MB → 3\.4 MB/);
    expect(f).toMatch(/✗ \/photos\/bad\.jpg\s+Expected a JPEG/);
    expect(f).toMatch(/✓ \/photos\/c\.jpg/);
    expect(f).toContain('✓ 2 done');
    expect(f).toContain('✗ 1 failed');
    run.emit(events.at(-1)!);
    await eventually(() => expect(frame()).toContain('Finished: 2 restored, 1 failed, 0 skipped'));
    f = frame();
    expect(f).toContain('✗ bad.jpg: Expected a JPEG');
    expect(f).toContain('q/enter exit');
    // Finished files stay in the scrollback above the summary (<Static>).
    expect(f.indexOf('✓ /photos/a.jpg')).toBeLessThan(f.indexOf('Finished:'));
    t.stdin.write('e');
    await eventually(() => expect(frame()).toContain('Error details (1 failed)'));
    expect(frame()).toContain('[INVALID_INPUT]');
    expect(frame()).toContain('hint: the file is damaged');
  });

  test('p pauses and resumes through the controller and shows PAUSED', async () => {
    const { run, frame, t } = mount();
    run.emit(START, ...goodFile('/photos/a.jpg').slice(0, 3));
    await eventually(() => expect(frame()).toContain('1/4 tiles'));
    t.stdin.write('p');
    await eventually(() => expect(frame()).toContain('PAUSED'));
    expect(run.controller.calls).toEqual(['pause']);
    expect(frame()).toContain('p resume');
    t.stdin.write('p');
    await eventually(() => expect(frame()).not.toContain('PAUSED'));
    expect(run.controller.calls).toEqual(['pause', 'resume']);
  });

  test('c cancels the current file', async () => {
    const { run, frame, t } = mount();
    run.emit(START, ...goodFile('/photos/a.jpg').slice(0, 3));
    await eventually(() => expect(frame()).toContain('1/4 tiles'));
    t.stdin.write('c');
    await eventually(() => expect(frame()).toContain('cancelling…'));
    expect(run.controller.calls).toEqual(['cancelCurrent']);
    // The pipeline reports the abandoned file; it leaves the running list.
    run.emit({ type: 'file-skipped', file: '/photos/a.jpg', reason: 'cancelled' });
    await eventually(() => expect(frame()).toMatch(/– \/photos\/a\.jpg\s+skipped: cancelled/));
    expect(frame()).not.toContain('cancelling…');
  });

  test('q asks for confirmation; n keeps going, y stops cleanly and exits with the summary', async () => {
    const { run, frame, t, exits } = mount({ waitAtEnd: false });
    run.emit(START, ...goodFile('/photos/a.jpg').slice(0, 3));
    await eventually(() => expect(frame()).toContain('1/4 tiles'));
    t.stdin.write('q');
    await eventually(() => expect(frame()).toContain('Quit this run?'));
    t.stdin.write('n');
    await eventually(() => expect(frame()).not.toContain('Quit this run?'));
    expect(run.controller.calls).toEqual([]);
    t.stdin.write('q');
    await eventually(() => expect(frame()).toContain('Quit this run?'));
    t.stdin.write('y');
    await eventually(() => expect(frame()).toContain('STOPPING'));
    expect(run.controller.calls).toEqual(['stop']);
    // Keys that would start work are ignored while stopping.
    t.stdin.write('p');
    const events = [START, ...goodFile('/photos/a.jpg')];
    run.emit(...goodFile('/photos/a.jpg').slice(3), { type: 'run-done', summary: summaryFor(events, 4) });
    await eventually(() => expect(exits).toHaveLength(1));
    expect(run.controller.calls).toEqual(['stop']);
    expect(exits[0]).toMatchObject({ stopped: true, summary: { done: 1, failed: 0 } });
  });

  test('a run that settles without run-done still ends with its summary', async () => {
    const { run, exits } = mount({ waitAtEnd: false });
    run.emit(START);
    run.finish({ done: 0, failed: 0, skipped: 0, seconds: 1, megapixels: 0, failures: [] });
    await eventually(() => expect(exits).toHaveLength(1));
  });

  test('a run that cannot start shows why, with the hint', async () => {
    const { run, frame } = mount();
    run.fail(
      new DurnUserError('WEIGHTS_MISSING', 'No weights for deblur (network durn-u)', {
        hint: 'import them with `durn models import`',
      }),
    );
    await eventually(() =>
      expect(frame()).toContain('The run stopped: No weights for deblur (network durn-u)'),
    );
    expect(frame()).toContain('hint: import them with `durn models import`');
    expect(frame()).toContain('Finished: 0 restored, 0 failed, 0 skipped');
  });

  test('narrow terminal (60 columns, after a resize): names truncated in the middle, bars shrink', async () => {
    const { run, frame, t } = mount();
    const long = '/photos/2024-07-14 Family reunion at the lake house/IMG_20240714_183259_HDR.jpg';
    run.emit(START, ...goodFile(long).slice(0, 3));
    await eventually(() => expect(frame()).toContain('1/4 tiles'));
    const wide = frame();
    Object.defineProperty(t.stdout, 'columns', { value: 60, configurable: true });
    t.stdout.emit('resize');
    await eventually(() => expect(frame()).not.toBe(wide));
    const narrow = frame();
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(narrow).toContain('…');
    expect(narrow).toMatch(/▶ \/photos\/20[^ ]*…[^ ]*_HDR\.jpg /);
    const bar = (f: string) =>
      (f.split('\n').find((l) => l.startsWith('▶')) ?? '').replace(/[^█░▏▎▍▌▋▊▉]/g, '').length;
    expect(bar(narrow)).toBeLessThan(bar(wide));
    expect(bar(narrow)).toBeGreaterThanOrEqual(6);
  });
});
