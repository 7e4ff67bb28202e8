/**
 * A scrolling list with one highlighted row. Purely presentational: the highlighted index lives in
 * the owning screen's reducer state, so keys are handled in one place per screen.
 */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { Tone } from '../theme.tsx';

export interface ListRow {
  readonly key: string;
  readonly label: ReactNode;
  readonly disabled?: boolean;
}

export function SelectList({
  rows,
  selected,
  height,
  focused = true,
}: {
  rows: readonly ListRow[];
  selected: number;
  height: number;
  focused?: boolean;
}) {
  const h = Math.max(1, height);
  // Keep the highlighted row in view, a third of the way down where possible.
  const start = Math.max(0, Math.min(selected - Math.floor(h / 3), rows.length - h));
  const visible = rows.slice(start, start + h);
  return (
    <Box flexDirection="column">
      {start > 0 ? <Tone tone="dim"> ↑ {start} more</Tone> : null}
      {visible.map((row, i) => {
        const active = start + i === selected;
        return (
          <Box key={row.key}>
            <Text>{active && focused ? '› ' : '  '}</Text>
            <Tone
              tone={row.disabled ? 'dim' : active && focused ? 'accent' : 'plain'}
              bold={active && focused}
            >
              {row.label}
            </Tone>
          </Box>
        );
      })}
      {start + h < rows.length ? <Tone tone="dim"> ↓ {rows.length - start - h} more</Tone> : null}
    </Box>
  );
}

/** Moves a highlight by `delta`, clamped, skipping nothing: disabled rows stay reachable to read. */
export function moveSelection(selected: number, delta: number, count: number): number {
  if (count <= 0) return 0;
  return Math.min(count - 1, Math.max(0, selected + delta));
}
