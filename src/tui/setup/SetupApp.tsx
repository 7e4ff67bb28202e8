/**
 * The set-up app (`durn`, `durn tui`): five screens driven by `reduceSetup`. This component only
 * does the I/O the state asks for (list a folder, count images, check a typed path) and reports
 * the result when the user starts or quits.
 */
import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import { useEffect, useReducer } from 'react';
import { KeyHints } from '../components/KeyHints.tsx';
import { useColumns } from '../components/layout.ts';
import {
  reduceSetup,
  SCREENS,
  type Screen,
  type SetupResult,
  type SetupState,
} from '../state/setup-state.ts';
import { Tone } from '../theme.tsx';
import { OptionsScreen, OutputScreen, ReviewScreen, TaskScreen } from './ChoiceScreens.tsx';
import { countImages, inspectPath, listFolder } from './folders.ts';
import { InputsScreen } from './InputsScreen.tsx';

const TITLES: Record<Screen, string> = {
  inputs: 'Choose the photos',
  task: 'Choose a preset or a task',
  output: 'Choose the output folder',
  options: 'Options',
  review: 'Review',
};

const HINTS: Record<Screen, [string, string][]> = {
  inputs: [
    ['↑↓/jk', 'move'],
    ['enter', 'open / choose'],
    ['space', 'select'],
    ['←/bksp', 'parent'],
    ['tab', 'type a path'],
    ['esc/q', 'quit'],
  ],
  task: [
    ['↑↓/jk', 'move'],
    ['enter', 'choose'],
    ['esc', 'back'],
  ],
  output: [
    ['enter', 'next'],
    ['esc', 'back'],
  ],
  options: [
    ['↑↓/tab', 'field'],
    ['←→/space', 'change'],
    ['enter', 'review'],
    ['esc', 'back'],
  ],
  review: [
    ['enter', 'start'],
    ['esc', 'back'],
    ['q', 'quit'],
  ],
};

export interface SetupAppProps {
  readonly initial: SetupState;
  /** Called once, with the final state (to remember settings from). */
  readonly onDone: (result: SetupResult, state: SetupState) => void;
  readonly columns?: number;
}

export function SetupApp({ initial, onDone, columns }: SetupAppProps) {
  const { exit } = useApp();
  const width = useColumns(columns);
  const { rows } = useWindowSize();
  const [s, dispatch] = useReducer(reduceSetup, initial);

  // List the folder being browsed, then count the photos under each subfolder, one by one.
  useEffect(() => {
    let live = true;
    const folder = s.folder;
    void (async () => {
      try {
        const listing = await listFolder(folder);
        if (!live) return;
        dispatch({ type: 'listing', listing });
        for (const path of [
          folder,
          ...listing.entries.filter((e) => e.kind === 'folder').map((e) => e.path),
        ]) {
          const count = await countImages(path);
          if (!live) return;
          dispatch({ type: 'count', path, count });
        }
      } catch (err) {
        if (live)
          dispatch({
            type: 'listing-error',
            folder,
            message: `Cannot read ${folder}: ${(err as Error).message}`,
          });
      }
    })();
    return () => {
      live = false;
    };
  }, [s.folder]);

  // Selections made from a typed path may be folders never listed: count them too.
  useEffect(() => {
    for (const sel of s.selected) {
      if (sel.kind === 'folder' && !s.counts[sel.path]) {
        void countImages(sel.path).then((count) => dispatch({ type: 'count', path: sel.path, count }));
      }
    }
  }, [s.selected, s.counts]);

  useEffect(() => {
    const path = s.pathCheck;
    if (path === undefined) return;
    void inspectPath(path).then((r) => dispatch({ type: 'path-checked', path, kind: r.kind }));
  }, [s.pathCheck]);

  useEffect(() => {
    if (!s.result) return;
    onDone(s.result, s);
    exit();
  }, [s, onDone, exit]);

  useInput((input, key) => dispatch({ type: 'key', input, key }), { isActive: s.result === undefined });

  if (s.result) return null;
  const index = SCREENS.indexOf(s.screen);
  // Room for the list: the terminal height less the header, path field, details and hints.
  const listHeight = Math.max(4, (rows || 24) - 12 - s.notices.length);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Tone tone="title">durn</Tone>
        <Tone tone="dim">
          {' '}
          · step {index + 1} of {SCREENS.length} ·{' '}
        </Tone>
        <Tone tone="accent" bold>
          {TITLES[s.screen]}
        </Tone>
      </Text>
      {s.notices.map((n) => (
        <Tone key={n} tone="warn">
          ! {n}
        </Tone>
      ))}
      <Box flexDirection="column" marginY={1}>
        {s.screen === 'inputs' ? <InputsScreen state={s} columns={width} height={listHeight} /> : null}
        {s.screen === 'task' ? <TaskScreen state={s} columns={width} height={listHeight} /> : null}
        {s.screen === 'output' ? <OutputScreen state={s} columns={width} /> : null}
        {s.screen === 'options' ? <OptionsScreen state={s} /> : null}
        {s.screen === 'review' ? <ReviewScreen state={s} columns={width} /> : null}
      </Box>
      <KeyHints
        hints={
          s.screen === 'inputs' && s.focus === 'path'
            ? [
                ['enter', 'go / add'],
                ['tab/esc', 'back to list'],
              ]
            : HINTS[s.screen]
        }
      />
    </Box>
  );
}
