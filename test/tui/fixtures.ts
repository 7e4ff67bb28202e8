/**
 * Event sequences exactly as the pipeline emits them for a run (src/pipeline/events.ts), used to
 * drive the reducer and the dashboards. `RecordingController` is a RunController that records the
 * calls the keys make, for tests that check which key calls what.
 */
import type { RunEvent, RunSummary, StepInfo } from '../../src/pipeline/events.ts';
import type { RunController, RunHandle } from '../../src/tui/types.ts';

export const STEPS: StepInfo[] = [
  { task: 'denoise', network: 'durn-p-nonorm' },
  { task: 'deblur', network: 'durn-u' },
];

/** Everything one good file emits, from file-start to file-done, `tiles` tiles per step. */
export function goodFile(file: string, tiles = 4, steps: StepInfo[] = STEPS): RunEvent[] {
  const events: RunEvent[] = [{ type: 'file-start', file, width: 4000, height: 3000, steps }];
  steps.forEach((s, step) => {
    events.push({ type: 'step-start', file, step, task: s.task, network: s.network, tiles });
    for (let done = 1; done <= tiles; done++)
      events.push({ type: 'tile-done', file, step, done, total: tiles });
    events.push({ type: 'step-done', file, step, seconds: 1.5 });
  });
  events.push({
    type: 'file-done',
    file,
    output: file.replace(/(\.\w+)$/, '.restored$1'),
    seconds: 3,
    megapixels: 12,
    bytesIn: 3_100_000,
    bytesOut: 3_400_000,
  });
  return events;
}

/** A file the decoder rejects: it starts no step. */
export function badFile(file: string): RunEvent[] {
  return [
    {
      type: 'file-failed',
      file,
      error: `Expected a JPEG, PNG, WebP, TIFF, AVIF or HEIF image for ${file} but received unreadable data`,
      code: 'INVALID_INPUT',
      hint: 'the file is damaged or not an image; open it in an image viewer to check',
    },
  ];
}

export function summaryFor(events: readonly RunEvent[], seconds: number): RunSummary {
  let done = 0;
  let skipped = 0;
  let megapixels = 0;
  const failures: { file: string; error: string }[] = [];
  for (const e of events) {
    if (e.type === 'file-done') {
      done++;
      megapixels += e.megapixels;
    } else if (e.type === 'file-skipped') skipped++;
    else if (e.type === 'file-failed') failures.push({ file: e.file, error: e.error });
  }
  return { done, failed: failures.length, skipped, seconds, megapixels, failures };
}

/** A whole run over `files` (names ending in "bad.jpg" fail), as the pipeline emits it. */
export function folderRun(dir: string, names: string[]): RunEvent[] {
  const files = names.map((n) => `${dir}/${n}`);
  const events: RunEvent[] = [
    { type: 'run-start', files: files.length, chain: 'denoise → deblur', engine: 'onnx' },
  ];
  for (const f of files) events.push({ type: 'file-queued', file: f });
  for (const f of files) events.push(...(f.endsWith('bad.jpg') ? badFile(f) : goodFile(f)));
  events.push({ type: 'run-done', summary: summaryFor(events, 9) });
  return events;
}

export class RecordingController implements RunController {
  readonly calls: string[] = [];
  #paused = false;
  pause(): void {
    this.calls.push('pause');
    this.#paused = true;
  }
  resume(): void {
    this.calls.push('resume');
    this.#paused = false;
  }
  get paused(): boolean {
    return this.#paused;
  }
  cancelCurrent(): void {
    this.calls.push('cancelCurrent');
  }
  stop(): Promise<void> {
    this.calls.push('stop');
    return Promise.resolve();
  }
}

/**
 * A run the test steps by hand: `emit` pushes events to the dashboard, `finish` settles `done`.
 * The events are the pipeline's own types; only their timing is the test's.
 */
export function manualRun() {
  const controller = new RecordingController();
  let listener: ((e: RunEvent) => void) | undefined;
  let resolve!: (s: RunSummary) => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<RunSummary>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return {
    controller,
    start: (onEvent: (e: RunEvent) => void): RunHandle => {
      listener = onEvent;
      return { controller, done };
    },
    emit(...events: RunEvent[]) {
      if (!listener) throw new Error('the dashboard has not started the run');
      for (const e of events) listener(e);
    },
    finish: (s: RunSummary) => resolve(s),
    fail: (err: unknown) => reject(err),
  };
}

/** Polls until `check` passes or the deadline expires (no fixed sleeps). */
export async function eventually(check: () => void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
