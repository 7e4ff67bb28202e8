import { barText } from '../format.ts';
import { Tone, type ToneName } from '../theme.tsx';

/** A fixed-width bar; the caller sizes it from the terminal width so it shrinks on narrow screens. */
export function ProgressBar({
  fraction,
  width,
  tone = 'accent',
}: {
  fraction: number;
  width: number;
  tone?: ToneName;
}) {
  return <Tone tone={tone}>{barText(fraction, width)}</Tone>;
}
