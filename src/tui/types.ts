/** What the dashboards need from a run (`startRun`'s handle) or a watcher. Types only. */
import type { RunEventListener } from '../pipeline/events.ts';
import type { RunController, RunHandle } from '../pipeline/run/run.ts';
import type { WatchStreamEvent } from './watch-events.ts';

export type { RunController, RunHandle } from '../pipeline/run/run.ts';

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
