/** One line per finished file, and the live block for a file being restored. */
import { Box, Text } from 'ink';
import { rowLayout } from '../components/layout.ts';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { displayPath, fitWidth, formatBytes, formatMegapixels, formatSeconds } from '../format.ts';
import type { FinishedFile, RunningFile } from '../state/run-state.ts';
import { fileFraction } from '../state/run-state.ts';
import { Tone } from '../theme.tsx';

export function FinishedLine({ file: f, columns }: { file: FinishedFile; columns: number }) {
  const { name } = rowLayout(columns, 0);
  const label = fitWidth(displayPath(f.file), name);
  if (f.status === 'done') {
    const sizes =
      f.bytesIn !== undefined && f.bytesOut !== undefined
        ? `  ${formatBytes(f.bytesIn)} → ${formatBytes(f.bytesOut)}`
        : '';
    return (
      <Text wrap="truncate-end">
        <Tone tone="ok">✓</Tone> {label} {formatMegapixels(f.megapixels ?? 0)} {formatSeconds(f.seconds ?? 0)}
        <Tone tone="dim">{sizes}</Tone>
      </Text>
    );
  }
  if (f.status === 'failed') {
    return (
      <Text wrap="truncate-end">
        <Tone tone="error">✗</Tone> {label} <Tone tone="error">{f.error ?? 'failed'}</Tone>
      </Text>
    );
  }
  return (
    <Text wrap="truncate-end">
      <Tone tone="warn">–</Tone> {label} <Tone tone="dim">skipped: {f.reason ?? ''}</Tone>
    </Text>
  );
}

export function RunningBlock({ file: f, columns }: { file: RunningFile; columns: number }) {
  // "  100%  12.2 MP" after the bar; steps are indented by 4 and end in "  123/456 tiles".
  const { name, bar } = rowLayout(columns, 22);
  const fraction = fileFraction(f);
  const mp = (f.width * f.height) / 1e6;
  const stepName = Math.max(8, name - 2);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Tone tone="accent">▶</Tone> {fitWidth(displayPath(f.file), name)}{' '}
        <ProgressBar fraction={fraction} width={bar} /> {String(Math.floor(fraction * 100)).padStart(3)}%{' '}
        {formatMegapixels(mp)}
        {f.cancelling ? <Tone tone="warn"> cancelling…</Tone> : null}
      </Text>
      {f.steps.map((s, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: steps are positions in the chain (a task may repeat)
        <Text key={`${i}-${s.task}`} wrap="truncate-end">
          {'    '}
          {fitWidth(`${i + 1}/${f.steps.length} ${s.task} (${s.network})`, stepName)}{' '}
          {s.state === 'waiting' ? (
            <Tone tone="dim">{fitWidth('waiting', bar)}</Tone>
          ) : (
            <ProgressBar
              fraction={s.state === 'done' ? 1 : s.tiles > 0 ? s.done / s.tiles : 0}
              width={bar}
              tone={s.state === 'done' ? 'ok' : 'accent'}
            />
          )}{' '}
          <Tone tone="dim">
            {s.state === 'done'
              ? formatSeconds(s.seconds ?? 0)
              : s.tiles > 0
                ? `${s.done}/${s.tiles} tiles`
                : ''}
          </Tone>
        </Text>
      ))}
    </Box>
  );
}
