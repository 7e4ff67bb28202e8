/**
 * The terminal UI: set-up screens (`durn`, `durn tui`), the run dashboard (`durn restore` in a
 * terminal) and the watch dashboard (`durn watch` in a terminal). Everything renders the pipeline's
 * event stream through pure reducers (src/tui/state/).
 */
export { RunDashboardApp, RunDashboardView, type RunResult } from './dashboard/RunDashboard.tsx';
export {
  renderRunDashboard,
  renderWatchDashboard,
  runTuiSetup,
  shouldUseTui,
  type TerminalOptions,
} from './render.tsx';
export { initialRunState, type RunState, reduceRun } from './state/run-state.ts';
export { initialWatchState, reduceWatch, type WatchState } from './state/watch-state.ts';
export { summaryText } from './summary.ts';
export type { RunController, RunHandle, StartRun, StartWatch, WatchHandle } from './types.ts';
export { WatchDashboard, WatchDashboardView } from './watch/WatchDashboard.tsx';
export { isWatchEvent, type WatchEvent, type WatchStreamEvent } from './watch-events.ts';
