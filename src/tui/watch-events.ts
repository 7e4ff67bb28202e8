/**
 * Events only the watch folder emits. The watch dashboard reduces these together with the ordinary
 * `RunEvent`s of each restoration the watcher starts, so the UI never reaches into the watcher.
 */
import type { RunEvent } from '../pipeline/events.ts';

export type WatchEvent =
  | { readonly type: 'watch-start'; readonly folder: string; readonly out: string }
  /** Files seen in the folder and waiting for a worker. */
  | { readonly type: 'watch-queue'; readonly depth: number }
  /** Totals from the watcher's ledger (what it has processed across restarts). */
  | { readonly type: 'ledger'; readonly done: number; readonly failed: number; readonly pending: number };

export type WatchStreamEvent = RunEvent | WatchEvent;

const WATCH_TYPES: ReadonlySet<string> = new Set(['watch-start', 'watch-queue', 'ledger']);

export function isWatchEvent(event: WatchStreamEvent): event is WatchEvent {
  return WATCH_TYPES.has(event.type);
}
