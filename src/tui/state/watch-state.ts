/**
 * The watch dashboard's state: the run reducer for the files being restored, plus the watcher's
 * own events (folder, queue depth, ledger). A watcher runs for days, so only the most recent
 * files and failures are kept.
 */
import { isWatchEvent, type WatchStreamEvent } from '../watch-events.ts';
import { type FinishedFile, initialRunState, type RunAction, type RunState, reduceRun } from './run-state.ts';

export const RECENT_FILES = 8;
export const RECENT_FAILURES = 20;

export interface WatchState {
  readonly folder: string | undefined;
  readonly out: string | undefined;
  readonly queueDepth: number;
  readonly ledger: { readonly done: number; readonly failed: number; readonly pending: number } | undefined;
  readonly run: RunState;
  readonly recent: readonly FinishedFile[];
  readonly failures: readonly FinishedFile[];
  readonly stopping: boolean;
}

export type WatchAction =
  | { readonly type: 'watch-event'; readonly event: WatchStreamEvent; readonly at: number }
  | Exclude<RunAction, { type: 'event' }>;

export function initialWatchState(at: number): WatchState {
  return {
    folder: undefined,
    out: undefined,
    queueDepth: 0,
    ledger: undefined,
    run: initialRunState(at),
    recent: [],
    failures: [],
    stopping: false,
  };
}

export function reduceWatch(state: WatchState, action: WatchAction): WatchState {
  if (action.type !== 'watch-event') {
    const run = reduceRun(state.run, action);
    return { ...state, run, stopping: state.stopping || action.type === 'stopping' };
  }
  const e = action.event;
  if (isWatchEvent(e)) {
    switch (e.type) {
      case 'watch-start':
        return { ...state, folder: e.folder, out: e.out };
      case 'watch-queue':
        return { ...state, queueDepth: e.depth };
      case 'ledger':
        return { ...state, ledger: { done: e.done, failed: e.failed, pending: e.pending } };
      default:
        // Retries and the stop are shown by their notices; nothing to keep.
        return state;
    }
  }
  const before = state.run.seq;
  let run = reduceRun(state.run, { type: 'event', event: e, at: action.at });
  // Each batch the watcher starts ends with run-done; the dashboard keeps going.
  if (e.type === 'run-done') run = { ...run, phase: 'running', summary: undefined };
  const added = run.finished.slice(run.finished.length - (run.seq - before));
  // Finished files live in `recent`/`failures` here; the run state keeps none (bounded memory).
  run = { ...run, finished: [] };
  return {
    ...state,
    run,
    recent: [...state.recent, ...added].slice(-RECENT_FILES),
    failures: [...state.failures, ...added.filter((f) => f.status === 'failed')].slice(-RECENT_FAILURES),
  };
}
