/**
 * The run dashboard's state: a pure reducer over the pipeline's `RunEvent` stream plus the few
 * actions the keyboard causes. Every action carries the time it happened (`at`, ms), so elapsed
 * time, throughput and ETA are functions of the state alone and the reducer stays testable.
 */
import type { RunEvent, RunSummary, StepInfo } from '../../pipeline/events.ts';

export interface StepProgress {
  readonly task: string;
  readonly network: string;
  readonly tiles: number;
  readonly done: number;
  readonly state: 'waiting' | 'running' | 'done';
  readonly seconds?: number;
}

export interface RunningFile {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly steps: readonly StepProgress[];
  readonly startedAt: number;
  readonly cancelling: boolean;
}

export interface FinishedFile {
  /** Order of finishing; a stable React key for <Static>. */
  readonly key: number;
  readonly file: string;
  readonly status: 'done' | 'failed' | 'skipped';
  readonly output?: string;
  readonly seconds?: number;
  readonly megapixels?: number;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  readonly error?: string;
  readonly code?: string;
  readonly hint?: string;
  readonly reason?: string;
}

export type Overlay = 'none' | 'confirm-quit' | 'errors';

export interface RunState {
  /** starting → running → (stopping) → done; `stopping` after a confirmed quit. */
  readonly phase: 'starting' | 'running' | 'stopping' | 'done';
  readonly total: number;
  readonly chain: string;
  readonly engine: string;
  readonly queued: number;
  readonly running: readonly RunningFile[];
  readonly finished: readonly FinishedFile[];
  readonly counts: { readonly done: number; readonly failed: number; readonly skipped: number };
  readonly megapixels: number;
  readonly startedAt: number | undefined;
  readonly now: number;
  readonly paused: boolean;
  readonly notices: readonly string[];
  readonly summary: RunSummary | undefined;
  readonly overlay: Overlay;
  /** Set when the pipeline itself threw (not a per-file failure). */
  readonly fatal: string | undefined;
  /** True once the user asked to stop: the summary then says "Stopped". */
  readonly stopped: boolean;
  /** Next <Static> key; finished files may be trimmed (watch), so keys cannot be list indices. */
  readonly seq: number;
}

export type RunAction =
  | { readonly type: 'event'; readonly event: RunEvent; readonly at: number }
  | { readonly type: 'tick'; readonly at: number }
  | { readonly type: 'paused'; readonly paused: boolean; readonly at: number }
  | { readonly type: 'cancel-file'; readonly file: string; readonly at: number }
  | { readonly type: 'overlay'; readonly overlay: Overlay; readonly at: number }
  | { readonly type: 'stopping'; readonly at: number }
  | { readonly type: 'fatal'; readonly message: string; readonly at: number };

export const MAX_NOTICES = 3;

export function initialRunState(at: number): RunState {
  return {
    phase: 'starting',
    total: 0,
    chain: '',
    engine: '',
    queued: 0,
    running: [],
    finished: [],
    counts: { done: 0, failed: 0, skipped: 0 },
    megapixels: 0,
    startedAt: undefined,
    now: at,
    paused: false,
    notices: [],
    summary: undefined,
    overlay: 'none',
    fatal: undefined,
    stopped: false,
    seq: 0,
  };
}

export function reduceRun(state: RunState, action: RunAction): RunState {
  const now = Math.max(state.now, action.at);
  switch (action.type) {
    case 'tick':
      return { ...state, now };
    case 'paused':
      return { ...state, now, paused: action.paused };
    case 'overlay':
      return { ...state, now, overlay: action.overlay };
    case 'stopping':
      if (state.phase === 'done') return { ...state, now, overlay: 'none' };
      return { ...state, now, phase: 'stopping', stopped: true, overlay: 'none', paused: false };
    case 'cancel-file':
      return {
        ...state,
        now,
        running: state.running.map((f) => (f.file === action.file ? { ...f, cancelling: true } : f)),
      };
    case 'fatal':
      return { ...state, now, fatal: action.message, phase: 'done' };
    case 'event':
      return reduceEvent({ ...state, now }, action.event, action.at);
  }
}

function reduceEvent(state: RunState, e: RunEvent, at: number): RunState {
  switch (e.type) {
    case 'run-start':
      return {
        ...state,
        phase: state.phase === 'starting' ? 'running' : state.phase,
        total: e.files,
        chain: e.chain,
        engine: e.engine,
        startedAt: state.startedAt ?? at,
      };
    case 'file-queued':
      return { ...state, queued: state.queued + 1 };
    case 'file-start':
      return {
        ...state,
        queued: Math.max(0, state.queued - 1),
        running: [
          ...state.running.filter((f) => f.file !== e.file),
          {
            file: e.file,
            width: e.width,
            height: e.height,
            steps: e.steps.map(waitingStep),
            startedAt: at,
            cancelling: false,
          },
        ],
      };
    case 'step-start':
      return updateStep(state, e.file, e.step, (s) => ({
        ...s,
        task: e.task,
        network: e.network,
        tiles: e.tiles,
        done: 0,
        state: 'running',
      }));
    case 'tile-done':
      return updateStep(state, e.file, e.step, (s) => ({
        ...s,
        tiles: e.total,
        done: Math.max(s.done, e.done),
        state: 'running',
      }));
    case 'step-done':
      return updateStep(state, e.file, e.step, (s) => ({
        ...s,
        done: s.tiles,
        state: 'done',
        seconds: e.seconds,
      }));
    case 'file-done':
      return finish(state, {
        file: e.file,
        status: 'done',
        output: e.output,
        seconds: e.seconds,
        megapixels: e.megapixels,
        bytesIn: e.bytesIn,
        bytesOut: e.bytesOut,
      });
    case 'file-failed':
      return finish(state, {
        file: e.file,
        status: 'failed',
        error: e.error,
        code: e.code,
        ...(e.hint === undefined ? {} : { hint: e.hint }),
      });
    case 'file-skipped':
      return finish(state, { file: e.file, status: 'skipped', reason: e.reason });
    case 'notice':
      return { ...state, notices: [...state.notices, e.message].slice(-MAX_NOTICES) };
    case 'run-done':
      return { ...state, phase: 'done', summary: e.summary, running: [], overlay: 'none', paused: false };
    default:
      // An event type this UI does not know (a newer pipeline, a watcher's extra events) is ignored.
      return state;
  }
}

function waitingStep(s: StepInfo): StepProgress {
  return { task: s.task, network: s.network, tiles: 0, done: 0, state: 'waiting' };
}

function updateStep(
  state: RunState,
  file: string,
  step: number,
  update: (s: StepProgress) => StepProgress,
): RunState {
  return {
    ...state,
    running: state.running.map((f) => {
      if (f.file !== file) return f;
      const steps = [...f.steps];
      // A step the file-start event did not announce (a plugin added one) is still shown.
      while (steps.length <= step) steps.push({ task: '', network: '', tiles: 0, done: 0, state: 'waiting' });
      steps[step] = update(steps[step]!);
      return { ...f, steps };
    }),
  };
}

function finish(state: RunState, f: Omit<FinishedFile, 'key'>): RunState {
  // A file that ends before it started (skipped, unreadable) was still counted as queued.
  const wasRunning = state.running.some((r) => r.file === f.file);
  const counts = { ...state.counts, [f.status]: state.counts[f.status] + 1 };
  return {
    ...state,
    queued: wasRunning ? state.queued : Math.max(0, state.queued - 1),
    running: state.running.filter((r) => r.file !== f.file),
    finished: [...state.finished, { ...f, key: state.seq }],
    seq: state.seq + 1,
    counts,
    megapixels: state.megapixels + (f.megapixels ?? 0),
  };
}

// ---- selectors: everything the views show that is computed rather than stored ----

/** Fraction of one running file's work: its steps weighted equally, tiles within a step. */
export function fileFraction(f: RunningFile): number {
  if (f.steps.length === 0) return 0;
  let sum = 0;
  for (const s of f.steps) sum += s.state === 'done' ? 1 : s.tiles > 0 ? s.done / s.tiles : 0;
  return sum / f.steps.length;
}

export function finishedCount(state: RunState): number {
  return state.counts.done + state.counts.failed + state.counts.skipped;
}

/** Fraction of the whole run, counting partial progress of running files. */
export function runFraction(state: RunState): number {
  if (state.phase === 'done') return 1;
  if (state.total <= 0) return 0;
  let partial = 0;
  for (const f of state.running) partial += fileFraction(f);
  return Math.min(1, (finishedCount(state) + partial) / state.total);
}

export function elapsedSeconds(state: RunState): number {
  if (state.startedAt === undefined) return 0;
  const end = state.summary ? state.startedAt + state.summary.seconds * 1000 : state.now;
  return Math.max(0, (end - state.startedAt) / 1000);
}

/** Megapixels per second of wall time, over the finished files. */
export function throughput(state: RunState): number {
  const s = elapsedSeconds(state);
  const mp = state.summary ? state.summary.megapixels : state.megapixels;
  return s > 0 ? mp / s : 0;
}

/** Seconds left, extrapolated from progress so far; undefined until there is something to go on. */
export function etaSeconds(state: RunState): number | undefined {
  if (state.phase === 'done') return 0;
  const f = runFraction(state);
  const s = elapsedSeconds(state);
  if (f <= 0.001 || s < 1) return undefined;
  return (s / f) * (1 - f);
}

export function failures(state: RunState): readonly FinishedFile[] {
  return state.finished.filter((f) => f.status === 'failed');
}

/** The file `c` cancels: the earliest started that is not already being cancelled. */
export function currentFile(state: RunState): RunningFile | undefined {
  return state.running.find((f) => !f.cancelling);
}

/** The summary at the end: the pipeline's when it sent one, else what the UI counted. */
export function summaryOf(state: RunState): RunSummary {
  if (state.summary) return state.summary;
  return {
    done: state.counts.done,
    failed: state.counts.failed,
    skipped: state.counts.skipped,
    seconds: elapsedSeconds(state),
    megapixels: state.megapixels,
    failures: failures(state).map((f) => ({ file: f.file, error: f.error ?? '' })),
  };
}
