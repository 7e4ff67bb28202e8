/** Step 1: choose inputs by browsing folders (with image counts) or typing a path. */

import { basename } from 'node:path';
import { Box, Text } from 'ink';
import { type ListRow, SelectList } from '../components/SelectList.tsx';
import { TextInput } from '../components/TextInput.tsx';
import { displayPath, plural, truncateMiddle } from '../format.ts';
import {
  type InputRow,
  inputRows,
  isSelected,
  type SetupState,
  selectedImages,
} from '../state/setup-state.ts';
import { Tone } from '../theme.tsx';
import { countText } from './folders.ts';

function rowLabel(s: SetupState, row: InputRow, width: number) {
  const mark = (path: string) => (isSelected(s, path) ? '[x] ' : '[ ] ');
  switch (row.kind) {
    case 'continue': {
      const { images, pending, capped } = selectedImages(s);
      const n = pending ? '… images' : capped ? `${images}+ images` : plural(images, 'image');
      return `Continue with ${s.selected.length} selected (${n}) →`;
    }
    case 'this':
      return `${mark(row.path)}Use this folder (${countText(s.counts[row.path])})`;
    case 'parent':
      return '    ../';
    case 'folder': {
      const count = countText(s.counts[row.path]);
      return `${mark(row.path)}${truncateMiddle(`${row.name}/`, Math.max(8, width - count.length - 8))}  ${count}`;
    }
    case 'image':
      return `${mark(row.path)}${truncateMiddle(row.name, Math.max(8, width - 6))}`;
  }
}

export function InputsScreen({
  state: s,
  columns,
  height,
}: {
  state: SetupState;
  columns: number;
  height: number;
}) {
  const rows: ListRow[] = inputRows(s).map((row, i) => ({
    key: `${row.kind}-${'path' in row ? row.path : i}`,
    label: rowLabel(s, row, columns - 4),
    disabled: row.kind === 'image' && false,
  }));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-middle">
        <Tone tone="dim">Folder </Tone>
        {truncateMiddle(s.folder, columns - 7)}
      </Text>
      {s.listing === undefined ? <Tone tone="dim">Reading the folder…</Tone> : null}
      {s.listingError ? <Tone tone="error">{s.listingError}</Tone> : null}
      <SelectList rows={rows} selected={s.cursor} height={height} focused={s.focus === 'list'} />
      <Box marginTop={1}>
        <Text>
          <Tone tone={s.focus === 'path' ? 'accent' : 'dim'}>Path </Tone>
        </Text>
        <TextInput
          text={s.path}
          focused={s.focus === 'path'}
          width={columns - 6}
          placeholder="tab to type a path"
        />
      </Box>
      {s.pathCheck ? <Tone tone="dim">Checking {s.pathCheck}…</Tone> : null}
      {s.pathError ? <Tone tone="error">{s.pathError}</Tone> : null}
      <Text wrap="truncate-end">
        <Tone tone="dim">Selected </Tone>
        {s.selected.length === 0
          ? 'nothing yet'
          : s.selected
              .map((x) =>
                x.kind === 'folder' ? `${basename(x.path) || x.path}/` : displayPath(x.path, s.folder),
              )
              .join(', ')}
      </Text>
    </Box>
  );
}
