/** `durn watch --status <out>` and `durn watch --forget <file> --out <dir>`: reading and editing the ledger. */
import { access, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DurnUserError } from '../../core/errors.ts';
import { hashFile, moveNoClobber } from './files.ts';
import { Ledger, type LedgerCounts, type LedgerRow } from './ledger.ts';
import { defaultLedgerPath } from './watcher.ts';

type Print = (line: string) => void;

async function openLedger(out: string): Promise<Ledger> {
  const file = defaultLedgerPath(out);
  const found = await access(file).then(
    () => true,
    () => false,
  );
  if (!found) {
    throw new DurnUserError(
      'INVALID_INPUT',
      `Expected a watch ledger in ${resolve(out)} but found none there`,
      {
        hint: `Pass the --out folder of a \`durn watch\` (it keeps its ledger in ${file}).`,
        file: resolve(out),
      },
    );
  }
  // Not recovering: a watcher may be running, and its in-flight rows are really in flight.
  return new Ledger(file, { recover: false });
}

export interface WatchStatus {
  readonly ledger: string;
  readonly counts: LedgerCounts;
  readonly recent: readonly LedgerRow[];
}

export async function watchStatus(out: string, limit = 10): Promise<WatchStatus> {
  const ledger = await openLedger(out);
  try {
    return { ledger: defaultLedgerPath(out), counts: ledger.counts(), recent: ledger.recent(limit) };
  } finally {
    ledger.close();
  }
}

export function printStatus(s: WatchStatus, print: Print): void {
  const c = s.counts;
  print(`durn watch ledger ${s.ledger}`);
  print(`  ${c.done} done, ${c.failed} failed, ${c.pending} pending, ${c.inFlight} in flight`);
  if (s.recent.length > 0) print('recent:');
  for (const r of s.recent) {
    const when = new Date(r.updatedAt).toISOString().replace('T', ' ').slice(0, 19);
    const what =
      r.state === 'done'
        ? ` → ${r.output}`
        : r.state === 'failed'
          ? ` (${(r.error ?? '').split('\n')[0]})`
          : '';
    print(`  ${when}  ${r.state.padEnd(9)} ${r.path}${what}`);
  }
}

/**
 * Forgets a file so the watcher restores it again: by content when the file is still readable
 * (wherever it is now, e.g. in the failed folder), and by the path the ledger knew it under.
 */
export async function forgetFile(file: string, out: string): Promise<number> {
  return (await retryFile(file, out)).forgotten;
}

/**
 * The one-command retry of a failed photo: forgets it, and when it sits in the failed folder
 * beside its `.error.txt`, moves it back where it came from (never over another file) so a
 * running watcher restores it.
 */
export async function retryFile(file: string, out: string): Promise<{ forgotten: number; movedTo?: string }> {
  const hash = await hashFile(file).catch(() => null);
  const ledger = await openLedger(out);
  let forgotten: number;
  try {
    forgotten = (hash ? ledger.forget(hash) : 0) + ledger.forget(resolve(file)) + ledger.forget(file);
  } finally {
    ledger.close();
  }
  const note = await readFile(`${file}.error.txt`, 'utf8').catch(() => null);
  const from = note?.match(/^durn could not restore (.+)$/m)?.[1];
  if (!from || resolve(from) === resolve(file)) return { forgotten };
  const movedTo = await moveNoClobber(file, from);
  await rm(`${file}.error.txt`, { force: true });
  return { forgotten, movedTo };
}
