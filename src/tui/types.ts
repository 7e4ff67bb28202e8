/**
 * What the dashboards need from a run or a watcher. These mirror `startRun` in
 * src/pipeline/run.ts (structurally, so the UI does not depend on the orchestrator's module).
 */
import type { RunEventListener, RunSummary } from '../pipeline/events.ts';
import type { WatchStreamEvent } from './watch-events.ts';

export interface RunController {
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  cancelCurrent(): void;
  /** Finish in-flight tiles, start nothing new, write no partial files. */
  stop(): Promise<void>;
}

export interface RunHandle {
  readonly controller: RunController;
  readonly done: Promise<RunSummary>;
}

export type StartRun = (onEvent: RunEventListener) => RunHandle;

export interface WatchHandle {
  /** Present when the watcher can pause its workers (then `p` and `c` work as in a run). */
  readonly controller?: RunController;
  /** Stop watching: finish in-flight files, then resolve. */
  stop(): Promise<void>;
  /** Settles when the watcher has stopped (after `stop()`, or on its own on a fatal error). */
  readonly done: Promise<unknown>;
}

export type StartWatch = (onEvent: (event: WatchStreamEvent) => void) => WatchHandle;
