/**
 * Colour policy. Chalk (inside ink) ignores NO_COLOR, so every styled piece of text goes through
 * <Tone>, which drops colour, bold, dim and inverse when colour is off (https://no-color.org: any
 * non-empty NO_COLOR). Meaning never depends on colour alone: marks like ✓ ✗ › carry it too.
 */
import { Text } from 'ink';
import { createContext, type ReactNode, useContext } from 'react';

export type ToneName = 'ok' | 'error' | 'warn' | 'dim' | 'accent' | 'title' | 'plain';

export interface Theme {
  readonly color: boolean;
}

export function colorEnabled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  return !env.NO_COLOR;
}

const ThemeContext = createContext<Theme>({ color: colorEnabled() });

export function ThemeProvider({ theme, children }: { theme: Theme; children: ReactNode }) {
  return <ThemeContext.Provider value={theme}>{children}</ThemeContext.Provider>;
}

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

const TONES: Record<ToneName, { color?: string; bold?: boolean; dimColor?: boolean }> = {
  ok: { color: 'green' },
  error: { color: 'red' },
  warn: { color: 'yellow' },
  dim: { dimColor: true },
  accent: { color: 'cyan' },
  title: { bold: true },
  plain: {},
};

export function Tone({
  tone = 'plain',
  bold,
  inverse,
  wrap,
  children,
}: {
  tone?: ToneName;
  bold?: boolean;
  inverse?: boolean;
  wrap?: 'wrap' | 'truncate-end' | 'truncate-middle';
  children: ReactNode;
}) {
  const { color } = useTheme();
  if (!color) return <Text wrap={wrap}>{children}</Text>;
  const t = TONES[tone];
  return (
    <Text color={t.color} bold={bold ?? t.bold} dimColor={t.dimColor} inverse={inverse} wrap={wrap}>
      {children}
    </Text>
  );
}
