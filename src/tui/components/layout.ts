/** Column budgets derived from the terminal width, so narrow terminals shrink bars, not lines. */
import { useWindowSize } from 'ink';

export const MIN_COLUMNS = 40;

/** The terminal width (re-rendered on resize), or a fixed width when a caller or test pins one. */
export function useColumns(override?: number): number {
  const { columns } = useWindowSize();
  return Math.max(MIN_COLUMNS, override ?? (columns > 0 ? columns : 80));
}

export interface RowLayout {
  readonly name: number;
  readonly bar: number;
}

/** File-name column and bar width for a row that also holds `fixed` columns of text. */
export function rowLayout(columns: number, fixed: number): RowLayout {
  const name = Math.max(12, Math.min(40, Math.floor(columns * 0.38)));
  const bar = Math.max(6, Math.min(32, columns - name - fixed));
  return { name, bar };
}
