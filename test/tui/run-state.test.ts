import { describe, expect, test } from 'vitest';
import type { RunEvent } from '../../src/pipeline/events.ts';
import {
  currentFile,
  elapsedSeconds,
  etaSeconds,
  fileFraction,
  initialRunState,
  MAX_NOTICES,
  type RunState,
  reduceRun,
  runFraction,
  summaryOf,
  throughput,
} from '../../src/tui/state/run-state.ts';
import { badFile, folderRun, goodFile } from './fixtures.ts';

/** Feeds events one second apart, starting at t=0. */
function feed(events: readonly RunEvent[], state: RunState = initialRunState(0), stepMs = 1000): RunState {
  let s = state;
  for (const event of events) s = reduceRun(s, { type: 'event', event, at: s.now + stepMs });
  return s;
}

const START: RunEvent = { type: 'run-start', files: 3, chain: 'denoise → deblur', engine: 'onnx' };

describe('reduceRun', () => {
  test('run-start sets totals and the start time', () => {
    const s = feed([START]);
    expect(s).toMatchObject({
      phase: 'running',
      total: 3,
      chain: 'denoise → deblur',
      engine: 'onnx',
      startedAt: 1000,
    });
  });

  test('tiles advance a step, step-done completes it, file progress weights steps equally', () => {
    const events = goodFile('/p/a.jpg', 4);
    // file-start, step-start(0), 2 tiles
    let s = feed([START, { type: 'file-queued', file: '/p/a.jpg' }, ...events.slice(0, 4)]);
    const f = s.running[0]!;
    expect(f.steps[0]).toMatchObject({ state: 'running', done: 2, tiles: 4 });
    expect(f.steps[1]).toMatchObject({ state: 'waiting', task: 'deblur', network: 'durn-u' });
    expect(fileFraction(f)).toBeCloseTo(0.25);
    expect(s.queued).toBe(0);
    s = feed(events.slice(4, 7), s); // tiles 3, 4, step-done
    expect(s.running[0]!.steps[0]).toMatchObject({ state: 'done', seconds: 1.5 });
    expect(fileFraction(s.running[0]!)).toBeCloseTo(0.5);
    expect(runFraction(s)).toBeCloseTo(0.5 / 3);
  });

  test('out-of-order tile events never move progress backwards', () => {
    const s = feed([
      START,
      ...goodFile('/p/a.jpg', 8).slice(0, 2),
      { type: 'tile-done', file: '/p/a.jpg', step: 0, done: 5, total: 8 },
      { type: 'tile-done', file: '/p/a.jpg', step: 0, done: 3, total: 8 },
    ]);
    expect(s.running[0]!.steps[0]!.done).toBe(5);
  });

  test('a run over a folder with one bad file: the bad file fails, the others complete', () => {
    const s = feed(folderRun('/p', ['a.jpg', 'bad.jpg', 'c.jpg']));
    expect(s.phase).toBe('done');
    expect(s.counts).toEqual({ done: 2, failed: 1, skipped: 0 });
    expect(s.finished.map((f) => [f.file, f.status])).toEqual([
      ['/p/a.jpg', 'done'],
      ['/p/bad.jpg', 'failed'],
      ['/p/c.jpg', 'done'],
    ]);
    expect(s.finished[1]).toMatchObject({ code: 'INVALID_INPUT', hint: expect.stringContaining('damaged') });
    expect(s.running).toEqual([]);
    expect(s.queued).toBe(0);
    expect(summaryOf(s)).toMatchObject({ done: 2, failed: 1, megapixels: 24, seconds: 9 });
    expect(runFraction(s)).toBe(1);
  });

  test('skipped files count and leave the queue', () => {
    const s = feed([
      START,
      { type: 'file-queued', file: '/p/a.jpg' },
      { type: 'file-skipped', file: '/p/a.jpg', reason: 'output exists' },
    ]);
    expect(s.counts.skipped).toBe(1);
    expect(s.queued).toBe(0);
    expect(s.finished[0]).toMatchObject({ status: 'skipped', reason: 'output exists' });
  });

  test('throughput and ETA come from the clock in the actions', () => {
    let s = feed([START, ...goodFile('/p/a.jpg', 2)]); // 11 events → t = 11 s, started at 1 s
    expect(elapsedSeconds(s)).toBe(10);
    expect(throughput(s)).toBeCloseTo(12 / 10);
    // one of three files done in 10 s → 20 s left
    expect(etaSeconds(s)).toBeCloseTo(20);
    s = reduceRun(s, { type: 'tick', at: 21_000 });
    expect(elapsedSeconds(s)).toBe(20);
    expect(etaSeconds(initialRunState(0))).toBeUndefined();
  });

  test('time never runs backwards when actions arrive out of order', () => {
    const s = reduceRun(reduceRun(initialRunState(0), { type: 'tick', at: 5000 }), {
      type: 'tick',
      at: 1000,
    });
    expect(s.now).toBe(5000);
  });

  test('pause, cancel, quit confirmation and stopping', () => {
    let s = feed([START, ...goodFile('/p/a.jpg').slice(0, 2), ...goodFile('/p/b.jpg').slice(0, 1)]);
    s = reduceRun(s, { type: 'paused', paused: true, at: s.now });
    expect(s.paused).toBe(true);
    expect(currentFile(s)?.file).toBe('/p/a.jpg');
    s = reduceRun(s, { type: 'cancel-file', file: '/p/a.jpg', at: s.now });
    expect(s.running[0]!.cancelling).toBe(true);
    expect(currentFile(s)?.file).toBe('/p/b.jpg');
    s = reduceRun(s, { type: 'overlay', overlay: 'confirm-quit', at: s.now });
    expect(s.overlay).toBe('confirm-quit');
    s = reduceRun(s, { type: 'stopping', at: s.now });
    expect(s).toMatchObject({ phase: 'stopping', stopped: true, overlay: 'none', paused: false });
    s = feed([...badFile('/p/a.jpg'), { type: 'run-done', summary: summaryOf(s) }], s);
    expect(s.phase).toBe('done');
    expect(s.stopped).toBe(true);
  });

  test('keeps only the latest notices', () => {
    const notices: RunEvent[] = Array.from({ length: 5 }, (_, i) => ({ type: 'notice', message: `n${i}` }));
    expect(feed(notices).notices).toEqual(['n2', 'n3', 'n4'].slice(-MAX_NOTICES));
  });

  test('the reducer does not mutate its input', () => {
    const s0 = feed([START, ...goodFile('/p/a.jpg').slice(0, 3)]);
    const frozen = JSON.stringify(s0);
    feed(goodFile('/p/a.jpg').slice(3), s0);
    expect(JSON.stringify(s0)).toBe(frozen);
  });
});
