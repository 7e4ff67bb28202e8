/** The end-of-run summary as plain text: shown on the summary screen and printed after the UI exits. */
import { basename } from 'node:path';
import type { RunSummary } from '../pipeline/events.ts';
import { formatDuration, formatMegapixels, plural } from './format.ts';

export function summaryLines(summary: RunSummary, opts: { stopped?: boolean } = {}): string[] {
  const mpps = summary.seconds > 0 ? summary.megapixels / summary.seconds : 0;
  const lines = [
    `${opts.stopped ? 'Stopped' : 'Finished'}: ${summary.done} restored, ${summary.failed} failed, ${summary.skipped} skipped` +
      ` in ${formatDuration(summary.seconds)} (${formatMegapixels(summary.megapixels)}, ${mpps.toFixed(2)} MP/s)`,
  ];
  if (summary.failures.length > 0) {
    lines.push(`${plural(summary.failures.length, 'failure')}:`);
    for (const f of summary.failures) lines.push(`  ✗ ${basename(f.file)}: ${f.error}`);
  }
  return lines;
}

export function summaryText(summary: RunSummary, opts: { stopped?: boolean } = {}): string {
  return `${summaryLines(summary, opts).join('\n')}\n`;
}
