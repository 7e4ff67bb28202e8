import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, test } from 'vitest';
import {
  initialWatchState,
  RECENT_FILES,
  reduceWatch,
  type WatchState,
} from '../../src/tui/state/watch-state.ts';
import type { WatchHandle } from '../../src/tui/types.ts';
import { WatchDashboard } from '../../src/tui/watch/WatchDashboard.tsx';
import type { WatchStreamEvent } from '../../src/tui/watch-events.ts';
import { badFile, eventually, goodFile, RecordingController } from './fixtures.ts';

afterEach(() => cleanup());

function feed(events: readonly WatchStreamEvent[], s: WatchState = initialWatchState(0)): WatchState {
  for (const event of events) s = reduceWatch(s, { type: 'watch-event', event, at: s.run.now + 100 });
  return s;
}

/** A watcher's stream: its own events around one batch restoring `files` (as the watcher runs them). */
function batch(files: string[]): WatchStreamEvent[] {
  return [
    { type: 'watch-queue', depth: files.length, settling: 0 },
    { type: 'run-start', files: files.length, chain: 'denoise', engine: 'onnx' },
    ...files.flatMap((f) =>
      f.endsWith('bad.jpg') ? badFile(f) : goodFile(f, 2, [{ task: 'denoise', network: 'durn-p' }]),
    ),
    {
      type: 'run-done',
      summary: { done: files.length, failed: 0, skipped: 0, seconds: 1, megapixels: 12, failures: [] },
    },
    { type: 'watch-queue', depth: 0, settling: 0 },
  ];
}

describe('watch state', () => {
  test('folder, queue, ledger, recent files and failures; later batches keep accumulating', () => {
    let s = feed([
      { type: 'watch-start', folder: '/in', out: '/out', recovered: 0 },
      { type: 'ledger', done: 10, failed: 1, pending: 0 },
      ...batch(['/in/a.jpg', '/in/bad.jpg']),
    ]);
    expect(s).toMatchObject({
      folder: '/in',
      out: '/out',
      queueDepth: 0,
      ledger: { done: 10, failed: 1, pending: 0 },
    });
    expect(s.recent.map((f) => f.status)).toEqual(['done', 'failed']);
    expect(s.failures.map((f) => f.file)).toEqual(['/in/bad.jpg']);
    // After run-done the dashboard keeps watching (the next batch is not "finished").
    expect(s.run.phase).toBe('running');
    s = feed(batch(['/in/b.jpg']), s);
    expect(s.recent.map((f) => f.file)).toEqual(['/in/a.jpg', '/in/bad.jpg', '/in/b.jpg']);
    expect(new Set(s.recent.map((f) => f.key)).size).toBe(3);
  });

  test('events the dashboard does not know are ignored, not a crash', () => {
    const unknown = { type: 'watch-retry', file: '/in/a.jpg', attempt: 2 } as unknown as WatchStreamEvent;
    const s = feed([{ type: 'watch-start', folder: '/in', out: '/out', recovered: 0 }, unknown]);
    expect(s.folder).toBe('/in');
    expect(s.run.running).toEqual([]);
  });

  test('memory stays bounded over a long watch', () => {
    const files = Array.from({ length: 40 }, (_, i) => `/in/${i}.jpg`);
    const s = feed(batch(files));
    expect(s.recent).toHaveLength(RECENT_FILES);
    expect(s.recent.at(-1)?.file).toBe('/in/39.jpg');
    expect(s.run.finished).toEqual([]);
    expect(s.run.counts.done).toBe(40);
  });
});

describe('watch dashboard', () => {
  test('without a controller, p and c are not offered', async () => {
    const never = new Promise<void>(() => {});
    const t = render(
      <WatchDashboard start={() => ({ stop: async () => {}, done: never })} onExit={() => {}} />,
    );
    await eventually(() => expect(t.lastFrame()).toContain('q quit'));
    expect(t.lastFrame()).not.toContain('p pause');
    expect(t.lastFrame()).not.toContain('c cancel file');
  });

  test('renders the watcher and its files; p, c, e, q + confirm', async () => {
    const controller = new RecordingController();
    let emit: (e: WatchStreamEvent) => void = () => {};
    let stopped!: () => void;
    const done = new Promise<void>((r) => {
      stopped = r;
    });
    const handle: WatchHandle = {
      controller,
      stop: () => {
        controller.calls.push('watch-stop');
        stopped();
        return done;
      },
      done,
    };
    const exits: WatchState[] = [];
    const t = render(
      <WatchDashboard
        start={(onEvent) => {
          emit = onEvent;
          return handle;
        }}
        onExit={(s) => exits.push(s)}
      />,
    );
    const frame = () => t.lastFrame() ?? '';
    await eventually(() => expect(frame()).toContain('durn watch'));
    for (const e of [
      { type: 'watch-start', folder: '/home/me/Inbox', out: '/home/me/Restored', recovered: 0 },
      { type: 'ledger', done: 12, failed: 1, pending: 2 },
      ...batch(['/home/me/Inbox/a.jpg', '/home/me/Inbox/bad.jpg']),
      { type: 'watch-queue', depth: 2, settling: 0 },
      ...goodFile('/home/me/Inbox/c.jpg', 4, [{ task: 'denoise', network: 'durn-p' }]).slice(0, 3),
    ] as WatchStreamEvent[]) {
      emit(e);
    }
    await eventually(() => expect(frame()).toContain('1/4 tiles'));
    const f = frame();
    expect(f).toContain('durn watch · /home/me/Inbox');
    expect(f).toContain('results → /home/me/Restored');
    expect(f).toContain('queue 2');
    expect(f).toContain('✓ 12 done');
    expect(f).toContain('2 pending');
    expect(f).toMatch(/✓ \/home\/me\/Inbox\/a\.jpg\s+12 MP 3\.0 s\s+3\.1 MB → 3\.4 MB/);
    expect(f).toContain('Failures (1, e for details)');
    expect(f).toContain('p pause');
    t.stdin.write('p');
    await eventually(() => expect(frame()).toContain('PAUSED'));
    t.stdin.write('c');
    await eventually(() => expect(frame()).toContain('cancelling…'));
    t.stdin.write('e');
    await eventually(() => expect(frame()).toContain('Error details (1 failed)'));
    t.stdin.write('e');
    await eventually(() => expect(frame()).toContain('queue 2'));
    t.stdin.write('q');
    await eventually(() => expect(frame()).toContain('Quit watching?'));
    t.stdin.write('y');
    await eventually(() => expect(exits).toHaveLength(1));
    expect(controller.calls).toEqual(['pause', 'cancelCurrent', 'watch-stop']);
    expect(exits[0]?.ledger).toEqual({ done: 12, failed: 1, pending: 2 });
  });
});
