/** The overlays shared by the run and watch dashboards: error details, quit confirmation, summary. */
import { Box, Text } from 'ink';
import type { RunSummary } from '../../pipeline/events.ts';
import { displayPath } from '../format.ts';
import type { FinishedFile } from '../state/run-state.ts';
import { summaryLines } from '../summary.ts';
import { Tone } from '../theme.tsx';

export function ErrorDetails({ failures, rows }: { failures: readonly FinishedFile[]; rows: number }) {
  // Newest first: the one the user just saw scroll past is the one they want.
  const shown = failures.slice(-Math.max(1, Math.floor(rows / 3))).reverse();
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Tone tone="title">
        Error details ({failures.length} failed)
        {failures.length > shown.length ? `, newest ${shown.length}` : ''}
      </Tone>
      {failures.length === 0 ? <Tone tone="dim">No errors so far.</Tone> : null}
      {shown.map((f) => (
        <Box key={f.key} flexDirection="column" marginTop={1}>
          <Text>
            <Tone tone="error">✗ {displayPath(f.file)}</Tone>
            {f.code ? <Tone tone="dim"> [{f.code}]</Tone> : null}
          </Text>
          <Text> {f.error}</Text>
          {f.hint ? <Tone tone="accent"> hint: {f.hint}</Tone> : null}
        </Box>
      ))}
    </Box>
  );
}

export function ConfirmQuit({ what }: { what: string }) {
  return (
    <Box borderStyle="round" paddingX={1} flexDirection="column">
      <Tone tone="warn" bold>
        Quit {what}?
      </Tone>
      <Text>Files being restored finish their current tiles; nothing half-done is written.</Text>
      <Text>
        <Tone tone="accent" bold>
          y
        </Tone>{' '}
        quit ·{' '}
        <Tone tone="accent" bold>
          n
        </Tone>{' '}
        keep going
      </Text>
    </Box>
  );
}

export function SummaryView({
  summary,
  stopped,
  fatal,
}: {
  summary: RunSummary;
  stopped: boolean;
  fatal?: string;
}) {
  const [first, ...rest] = summaryLines(summary, { stopped });
  return (
    <Box flexDirection="column" borderStyle="round" paddingX={1}>
      <Tone tone={summary.failed > 0 || fatal ? 'warn' : 'ok'} bold>
        {first}
      </Tone>
      {rest.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static lines of one summary
        <Text key={i} wrap="truncate-end">
          {line}
        </Text>
      ))}
      {fatal ? <Tone tone="error">The run stopped: {fatal}</Tone> : null}
    </Box>
  );
}
