/** Plain-text lines for run events (when stdout is not a terminal, or the UI is off). Pure. */
import { basename } from 'node:path';
import type { RunEvent, RunSummary } from '../events.ts';

const secs = (s: number) =>
  s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;

export function eventLine(e: RunEvent): string | null {
  switch (e.type) {
    case 'run-start':
      return `durn: restoring ${e.files} file${e.files === 1 ? '' : 's'} with ${e.chain}`;
    case 'file-start':
      return `${e.file}: ${e.width}×${e.height}, ${e.steps.map((s) => `${s.task} (${s.network})`).join(' → ')}`;
    case 'step-start':
      return (
        `${basename(e.file)}: step ${e.step + 1} ${e.task}, ${e.tiles} tile${e.tiles === 1 ? '' : 's'}` +
        (e.tile ? ` of ${e.tile} px (${e.tileReason ?? 'plugin default'})` : '') +
        (e.statisticsScale === undefined
          ? ''
          : `, statistics frozen from ${e.statisticsScale === 1 ? 'the whole image' : `a copy at 1/${Math.round(1 / e.statisticsScale)} scale`}`)
      );
    case 'file-done':
      return `${e.file} → ${e.output} (${secs(e.seconds)}, ${(e.megapixels / e.seconds).toFixed(3)} MP/s${e.worker ? `, on ${e.worker}` : ''})`;
    case 'file-failed':
      return `${e.file}: FAILED: ${e.error}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
    case 'file-skipped':
      return `${e.file}: skipped: ${e.reason}`;
    case 'notice':
      return `durn: ${e.message}`;
    case 'run-done':
      return summaryText(e.summary);
    default:
      return null;
  }
}

export function summaryText(s: RunSummary): string {
  const lines = [
    `durn: ${s.done} restored, ${s.failed} failed, ${s.skipped} skipped in ${secs(s.seconds)}` +
      (s.megapixels > 0
        ? ` (${s.megapixels.toFixed(2)} MP, ${(s.megapixels / s.seconds).toFixed(3)} MP/s)`
        : '') +
      (s.engine ? ` on ${s.engine}` : ''),
  ];
  for (const f of s.failures) lines.push(`  failed: ${f.file}: ${f.error.split('\n')[0]}`);
  return lines.join('\n');
}
