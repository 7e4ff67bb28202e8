/**
 * When is a file in the watch folder finished? When its size and modification time stay the same
 * over a settle interval (a copy, a tether transfer or a sync client is still writing otherwise),
 * and it is not empty. Decodability is checked afterwards by the restorer itself: a file that is
 * stable but undecodable is a bad file, not an unfinished one.
 */
import { stat } from 'node:fs/promises';

export interface Snapshot {
  readonly size: number;
  readonly mtimeMs: number;
}

export async function snapshot(path: string): Promise<Snapshot | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : null;
  } catch {
    return null;
  }
}

export function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * Resolves with the settled snapshot once the file has stayed unchanged for `settleMs`, or null if
 * it disappears (renamed or deleted before it was taken) or the signal aborts.
 */
export async function waitUntilStable(
  path: string,
  settleMs: number,
  signal?: AbortSignal,
  /** Called once when the file has settled empty (0 bytes); waiting goes on for content. */
  onEmpty?: () => void,
): Promise<Snapshot | null> {
  let last = await snapshot(path);
  let toldEmpty = false;
  while (last && !signal?.aborted) {
    await sleep(settleMs, signal);
    const now = await snapshot(path);
    if (!now) return null;
    if (sameSnapshot(last, now) && now.size > 0) return now;
    if (sameSnapshot(last, now) && !toldEmpty) {
      toldEmpty = true;
      onEmpty?.();
    }
    last = now;
  }
  return null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
