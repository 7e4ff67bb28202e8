/**
 * The watch dashboard (`durn watch` in a terminal): the folder and where results go, queue depth,
 * the files being restored (same components as the run dashboard), recent files with sizes and
 * timings, failures and the ledger's totals.
 */
import { Box, Text, useApp, useInput, useWindowSize } from 'ink';
import { useEffect, useReducer, useRef, useState } from 'react';
import { KeyHints } from '../components/KeyHints.tsx';
import { useColumns } from '../components/layout.ts';
import { FinishedLine, RunningBlock } from '../dashboard/FileLines.tsx';
import { ConfirmQuit, ErrorDetails } from '../dashboard/Overlays.tsx';
import { truncateMiddle } from '../format.ts';
import { currentFile } from '../state/run-state.ts';
import { initialWatchState, reduceWatch, type WatchState } from '../state/watch-state.ts';
import { Tone } from '../theme.tsx';
import type { StartWatch, WatchHandle } from '../types.ts';

export function WatchDashboardView({
  state: s,
  columns,
  rows,
  controllable,
}: {
  state: WatchState;
  columns: number;
  rows: number;
  /** Whether the watcher can pause and cancel (then `p` and `c` are offered). */
  controllable: boolean;
}) {
  const run = s.run;
  if (run.overlay === 'errors') {
    return (
      <Box flexDirection="column" width={columns}>
        <ErrorDetails failures={s.failures} rows={rows} />
        <KeyHints hints={[['e/esc', 'back']]} />
      </Box>
    );
  }
  const hints: [string, string][] = s.stopping
    ? []
    : [
        ...(controllable
          ? ([
              ['p', s.run.paused ? 'resume' : 'pause'],
              ['c', 'cancel file'],
            ] as [string, string][])
          : []),
        ['e', 'errors'],
        ['q', 'quit'],
      ];
  return (
    <Box flexDirection="column" width={columns}>
      <Text wrap="truncate-end">
        <Tone tone="title">durn watch</Tone> <Tone tone="dim">·</Tone>{' '}
        {truncateMiddle(s.folder ?? '…', columns - 14)}
      </Text>
      <Text wrap="truncate-end">
        <Tone tone="dim">results → </Tone>
        {truncateMiddle(s.out ?? '…', columns - 12)}
      </Text>
      <Box flexWrap="wrap" columnGap={2}>
        <Text>queue {s.queueDepth}</Text>
        {s.ledger ? (
          <>
            <Tone tone="ok">✓ {s.ledger.done} done</Tone>
            <Tone tone={s.ledger.failed > 0 ? 'error' : 'plain'}>✗ {s.ledger.failed} failed</Tone>
            <Text>{s.ledger.pending} pending</Text>
          </>
        ) : null}
        {run.paused ? <Tone tone="warn">PAUSED</Tone> : null}
        {s.stopping ? <Tone tone="warn">STOPPING (finishing current tiles)</Tone> : null}
      </Box>
      <Box flexDirection="column" marginTop={1}>
        {run.running.length === 0 ? <Tone tone="dim">Waiting for photos…</Tone> : null}
        {run.running.map((f) => (
          <RunningBlock key={f.file} file={f} columns={columns} />
        ))}
      </Box>
      {s.recent.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <Tone tone="title">Recent</Tone>
          {s.recent.map((f) => (
            <FinishedLine key={f.key} file={f} columns={columns} />
          ))}
        </Box>
      ) : null}
      {s.failures.length > 0 ? (
        <Box flexDirection="column" marginTop={1}>
          <Tone tone="error" bold>
            Failures ({s.failures.length}, e for details)
          </Tone>
          {s.failures.slice(-3).map((f) => (
            <Text key={f.key} wrap="truncate-end">
              {'  '}✗ {f.file}: {f.error}
            </Text>
          ))}
        </Box>
      ) : null}
      {run.notices.map((n, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the last few notices, replaced together
        <Tone key={i} tone="dim">
          {n}
        </Tone>
      ))}
      {run.overlay === 'confirm-quit' ? <ConfirmQuit what="watching" /> : null}
      {hints.length > 0 && run.overlay === 'none' ? <KeyHints hints={hints} /> : null}
    </Box>
  );
}

export interface WatchDashboardProps {
  readonly start: StartWatch;
  readonly onExit: (state: WatchState) => void;
  readonly columns?: number;
  readonly now?: () => number;
}

export function WatchDashboard({ start, onExit, columns, now = Date.now }: WatchDashboardProps) {
  const { exit } = useApp();
  const width = useColumns(columns);
  const { rows } = useWindowSize();
  const [s, dispatch] = useReducer(reduceWatch, undefined, () => initialWatchState(now()));
  const [ended, setEnded] = useState(false);
  const [controllable, setControllable] = useState(false);
  const handle = useRef<WatchHandle | undefined>(undefined);

  useEffect(() => {
    const h = start((event) => dispatch({ type: 'watch-event', event, at: now() }));
    handle.current = h;
    setControllable(h.controller !== undefined);
    const end = () => setEnded(true);
    h.done.then(end, (err: unknown) => {
      dispatch({ type: 'fatal', message: err instanceof Error ? err.message : String(err), at: now() });
      end();
    });
    const timer = setInterval(() => dispatch({ type: 'tick', at: now() }), 1000);
    return () => clearInterval(timer);
  }, [start, now]);

  useEffect(() => {
    if (!ended) return;
    onExit(s);
    exit();
  }, [ended, s, onExit, exit]);

  const stop = () => {
    dispatch({ type: 'stopping', at: now() });
    void handle.current?.stop();
  };

  useInput((input, key) => {
    const run = s.run;
    const controller = handle.current?.controller;
    if (key.ctrl && input === 'c') return stop();
    if (run.overlay === 'confirm-quit') {
      if (input === 'y' || input === 'Y') stop();
      else if (input === 'n' || input === 'N' || key.escape)
        dispatch({ type: 'overlay', overlay: 'none', at: now() });
      return;
    }
    if (run.overlay === 'errors') {
      if (input === 'e' || input === 'q' || key.escape || key.backspace)
        dispatch({ type: 'overlay', overlay: 'none', at: now() });
      return;
    }
    if (s.stopping) return;
    if (input === 'e') dispatch({ type: 'overlay', overlay: 'errors', at: now() });
    else if (input === 'q') dispatch({ type: 'overlay', overlay: 'confirm-quit', at: now() });
    else if (input === 'p' && controller) {
      if (controller.paused) controller.resume();
      else controller.pause();
      dispatch({ type: 'paused', paused: controller.paused, at: now() });
    } else if (input === 'c' && controller) {
      const current = currentFile(run);
      if (current) {
        controller.cancelCurrent();
        dispatch({ type: 'cancel-file', file: current.file, at: now() });
      }
    }
  });

  if (ended) return null;
  return <WatchDashboardView state={s} columns={width} rows={rows || 24} controllable={controllable} />;
}
