/**
 * NO_COLOR: with colour forced on (FORCE_COLOR=3, so chalk would colour), the dashboard has
 * colour escapes; with the theme's colour off (what NO_COLOR selects) it has none at all.
 * ink and chalk are imported after FORCE_COLOR is set, because chalk reads it once at load.
 */
import { afterEach, expect, test } from 'vitest';
import { folderRun } from './fixtures.ts';

process.env.FORCE_COLOR = '3';
const { cleanup, render } = await import('ink-testing-library');
const { RunDashboardView } = await import('../../src/tui/dashboard/RunDashboard.tsx');
const { initialRunState, reduceRun } = await import('../../src/tui/state/run-state.ts');
const { colorEnabled, ThemeProvider } = await import('../../src/tui/theme.tsx');

afterEach(() => cleanup());

const ESC = '\u001B[';

function frameWith(color: boolean): string {
  // Mid-run, with a failure: the frame has bars, ✓/✗ marks, a title and the latest error.
  const events = folderRun('/photos', ['a.jpg', 'bad.jpg', 'c.jpg']).slice(0, 20);
  let state = initialRunState(0);
  for (const event of events) state = reduceRun(state, { type: 'event', event, at: state.now + 100 });
  const t = render(
    <ThemeProvider theme={{ color }}>
      <RunDashboardView state={state} columns={100} rows={30} waitAtEnd={false} />
    </ThemeProvider>,
  );
  return t.lastFrame() ?? '';
}

test('colour escapes appear when colour is on', () => {
  const frame = frameWith(true);
  expect(frame).toMatch(/✗.* \/photos\/bad\.jpg/);
  expect(frame).toContain(ESC);
});

test('NO_COLOR: no escape sequences at all, and the marks still carry the meaning', () => {
  const frame = frameWith(false);
  expect(frame).not.toContain('\u001B');
  expect(frame).toContain('✓ /photos/a.jpg');
  expect(frame).toContain('Latest errors');
});

test('NO_COLOR set to any non-empty value turns colour off', () => {
  expect(colorEnabled({ NO_COLOR: '1' })).toBe(false);
  expect(colorEnabled({ NO_COLOR: '' })).toBe(true);
  expect(colorEnabled({})).toBe(true);
});
