/**
 * A one-line text field. The value and cursor are owned by the caller's state; `editText` is the
 * pure key → edit function the caller's reducer uses, so the field has no hidden state.
 */

import type { Key } from 'ink';
import { Text } from 'ink';
import { truncateMiddle } from '../format.ts';
import { Tone } from '../theme.tsx';

export interface TextValue {
  readonly value: string;
  readonly cursor: number;
}

export function textValue(value: string): TextValue {
  return { value, cursor: Array.from(value).length };
}

/** Applies a key press; returns undefined when the key is not an edit (enter, esc, tab, arrows up/down). */
export function editText(t: TextValue, input: string, key: Key): TextValue | undefined {
  const chars = Array.from(t.value);
  if (key.leftArrow) return { ...t, cursor: Math.max(0, t.cursor - 1) };
  if (key.rightArrow) return { ...t, cursor: Math.min(chars.length, t.cursor + 1) };
  if (key.home || (key.ctrl && input === 'a')) return { ...t, cursor: 0 };
  if (key.end || (key.ctrl && input === 'e')) return { ...t, cursor: chars.length };
  if (key.ctrl && input === 'u') return { value: chars.slice(t.cursor).join(''), cursor: 0 };
  if (key.backspace) {
    if (t.cursor === 0) return t;
    chars.splice(t.cursor - 1, 1);
    return { value: chars.join(''), cursor: t.cursor - 1 };
  }
  if (key.delete) {
    chars.splice(t.cursor, 1);
    return { value: chars.join(''), cursor: t.cursor };
  }
  if (key.return || key.escape || key.tab || key.upArrow || key.downArrow || key.ctrl || key.meta)
    return undefined;
  if (!input) return undefined;
  // Pasted text arrives as one string; newlines in a path are never intended.
  const typed = Array.from(input.replace(/[\r\n]/g, ''));
  chars.splice(t.cursor, 0, ...typed);
  return { value: chars.join(''), cursor: t.cursor + typed.length };
}

export function TextInput({
  text,
  focused,
  width,
  placeholder,
}: {
  text: TextValue;
  focused: boolean;
  width: number;
  placeholder?: string;
}) {
  if (!text.value && placeholder && !focused) return <Tone tone="dim">{placeholder}</Tone>;
  if (!focused) return <Text>{truncateMiddle(text.value, width)}</Text>;
  const chars = Array.from(text.value);
  // Show the end of long values, where the cursor usually is.
  const from = Math.max(0, Math.min(text.cursor, chars.length) - Math.max(1, width - 1));
  const before = chars.slice(from, text.cursor).join('');
  const at = chars[text.cursor] ?? ' ';
  const after = chars.slice(text.cursor + 1).join('');
  return (
    <Text>
      {before}
      <Tone tone="accent" inverse>
        {at === ' ' ? '▏' : at}
      </Tone>
      {after}
    </Text>
  );
}
