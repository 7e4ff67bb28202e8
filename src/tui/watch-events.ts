/**
 * The watch dashboard reduces the watch folder's own events (defined with the pipeline's events)
 * together with the ordinary `RunEvent`s of each restoration, so the UI never reaches into the
 * watcher.
 */
import type { RunEvent, WatchEvent } from '../pipeline/events.ts';

export type { WatchEvent } from '../pipeline/events.ts';

export type WatchStreamEvent = RunEvent | WatchEvent;

const WATCH_TYPES: ReadonlySet<string> = new Set<WatchEvent['type']>([
  'watch-start',
  'watch-queue',
  'ledger',
  'watch-retry',
  'watch-stop',
]);

export function isWatchEvent(event: WatchStreamEvent): event is WatchEvent {
  return WATCH_TYPES.has(event.type);
}
