import { Box, Text } from 'ink';
import { Tone } from '../theme.tsx';

/** The bottom line of every screen: which keys do what. Wraps on narrow terminals. */
export function KeyHints({ hints }: { hints: readonly (readonly [key: string, label: string])[] }) {
  return (
    <Box flexWrap="wrap" columnGap={2}>
      {hints.map(([key, label]) => (
        <Text key={key}>
          <Tone tone="accent" bold>
            {key}
          </Tone>{' '}
          <Tone tone="dim">{label}</Tone>
        </Text>
      ))}
    </Box>
  );
}
