/** `durn watch --status <out>` and `durn watch --forget <file> --out <dir>`: reading and editing the ledger. */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DurnUserError } from '../../core/errors.ts';
import { hashFile } from './files.ts';
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
    throw new DurnUserError('INVALID_INPUT', `Expected a watch ledger in ${resolve(out)} but received none`, {
      hint: `Pass the --out folder of a \`durn watch\` (it keeps its ledger in ${file}).`,
      file,
    });
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
  const hash = await hashFile(file).catch(() => null);
  const ledger = await openLedger(out);
  try {
    return (hash ? ledger.forget(hash) : 0) + ledger.forget(resolve(file)) + ledger.forget(file);
  } finally {
    ledger.close();
  }
}
