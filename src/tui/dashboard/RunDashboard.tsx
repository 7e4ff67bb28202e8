/**
 * The run dashboard: finished files scroll above (<Static>), running files with per-step bars
 * below, then totals and the latest errors. `RunDashboardView` renders a `RunState` and nothing
 * else; `RunDashboardApp` owns the reducer, feeds it the event stream and maps keys to the
 * run controller.
 */
import { Box, Static, Text, useApp, useInput, useWindowSize } from 'ink';
import { type ReactNode, useEffect, useReducer, useRef, useState } from 'react';
import { formatError } from '../../core/errors.ts';
import type { RunSummary } from '../../pipeline/events.ts';
import { KeyHints } from '../components/KeyHints.tsx';
import { useColumns } from '../components/layout.ts';
import { ProgressBar } from '../components/ProgressBar.tsx';
import { displayPath, formatDuration } from '../format.ts';
import {
  currentFile,
  elapsedSeconds,
  etaSeconds,
  failures,
  initialRunState,
  type RunState,
  reduceRun,
  runFraction,
  summaryOf,
  throughput,
} from '../state/run-state.ts';
import { Tone } from '../theme.tsx';
import type { RunHandle, StartRun } from '../types.ts';
import { FinishedLine, RunningBlock } from './FileLines.tsx';
import { ConfirmQuit, ErrorDetails, SummaryView } from './Overlays.tsx';

const LATEST_ERRORS = 3;

export function RunTotals({ state, columns }: { state: RunState; columns: number }) {
  const fraction = runFraction(state);
  const eta = etaSeconds(state);
  const finished = state.counts.done + state.counts.failed + state.counts.skipped;
  const bar = Math.max(10, Math.min(60, columns - 8));
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Tone tone="title">durn</Tone> <Tone tone="dim">·</Tone> {state.chain || '…'}
        {state.engine ? <Tone tone="dim"> · {state.engine}</Tone> : null}
        {state.paused ? <Tone tone="warn"> · PAUSED (current tiles finish, nothing new starts)</Tone> : null}
        {state.phase === 'stopping' ? <Tone tone="warn"> · STOPPING (finishing current tiles)</Tone> : null}
      </Text>
      <Box flexWrap="wrap" columnGap={2}>
        <Text>
          Files {finished}/{state.total}
        </Text>
        <Text>
          <Tone tone="ok">✓ {state.counts.done} done</Tone>
        </Text>
        <Text>
          <Tone tone={state.counts.failed > 0 ? 'error' : 'plain'}>✗ {state.counts.failed} failed</Tone>
        </Text>
        <Text>– {state.counts.skipped} skipped</Text>
        <Text>{throughput(state).toFixed(2)} MP/s</Text>
        <Text>elapsed {formatDuration(elapsedSeconds(state))}</Text>
        <Text>ETA {eta === undefined ? '–' : formatDuration(eta)}</Text>
      </Box>
      <Text>
        <ProgressBar fraction={fraction} width={bar} /> {String(Math.floor(fraction * 100)).padStart(3)}%
      </Text>
    </Box>
  );
}

export function LatestErrors({ state }: { state: RunState }) {
  const latest = failures(state).slice(-LATEST_ERRORS);
  if (latest.length === 0) return null;
  return (
    <Box flexDirection="column">
      <Tone tone="error" bold>
        Latest errors
      </Tone>
      {latest.map((f) => (
        <Text key={f.key} wrap="truncate-end">
          {'  '}
          <Tone tone="error">✗</Tone> {displayPath(f.file)}: {f.error}
        </Text>
      ))}
    </Box>
  );
}

export interface RunDashboardViewProps {
  readonly state: RunState;
  readonly columns: number;
  readonly rows: number;
  /** At the end: whether the user is asked for a key before the UI closes. */
  readonly waitAtEnd: boolean;
}

export function RunDashboardView({ state, columns, rows, waitAtEnd }: RunDashboardViewProps) {
  const done = state.phase === 'done';
  let body: ReactNode;
  if (state.overlay === 'errors') body = <ErrorDetails failures={failures(state)} rows={rows} />;
  else if (done) {
    body = <SummaryView summary={summaryOf(state)} stopped={state.stopped} {...fatalProp(state)} />;
  } else {
    body = (
      <Box flexDirection="column">
        <RunTotals state={state} columns={columns} />
        {state.running.map((f) => (
          <RunningBlock key={f.file} file={f} columns={columns} />
        ))}
        {state.queued > 0 ? <Tone tone="dim">{state.queued} queued</Tone> : null}
        <LatestErrors state={state} />
        {state.notices.map((n, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: the last few notices, replaced together
          <Tone key={i} tone="dim">
            {n}
          </Tone>
        ))}
        {state.overlay === 'confirm-quit' ? <ConfirmQuit what="this run" /> : null}
      </Box>
    );
  }
  const hints: [string, string][] =
    state.overlay === 'errors'
      ? [['e/esc', 'back']]
      : done
        ? waitAtEnd
          ? [
              ['e', 'error details'],
              ['q/enter', 'exit'],
            ]
          : []
        : state.overlay === 'confirm-quit'
          ? []
          : [
              ['p', state.paused ? 'resume' : 'pause'],
              ['c', 'cancel file'],
              ['e', 'errors'],
              ['q', 'quit'],
            ];
  return (
    <Box flexDirection="column" width={columns}>
      <Static items={[...state.finished]}>
        {(f) => <FinishedLine key={f.key} file={f} columns={columns} />}
      </Static>
      {body}
      {hints.length > 0 ? <KeyHints hints={hints} /> : null}
    </Box>
  );
}

function fatalProp(state: RunState): { fatal?: string } {
  return state.fatal === undefined ? {} : { fatal: state.fatal };
}

export interface RunResult {
  readonly summary: RunSummary;
  readonly stopped: boolean;
}

export interface RunDashboardAppProps {
  readonly start: StartRun;
  readonly onExit: (result: RunResult) => void;
  readonly waitAtEnd?: boolean;
  /** Pin the width (tests, or a caller that knows better than the terminal). */
  readonly columns?: number;
  readonly now?: () => number;
}

export function RunDashboardApp({
  start,
  onExit,
  waitAtEnd = false,
  columns,
  now = Date.now,
}: RunDashboardAppProps) {
  const { exit } = useApp();
  const width = useColumns(columns);
  const { rows } = useWindowSize();
  const [state, dispatch] = useReducer(reduceRun, undefined, () => initialRunState(now()));
  const [exiting, setExiting] = useState(false);
  const handle = useRef<RunHandle | undefined>(undefined);

  useEffect(() => {
    const h = start((event) => dispatch({ type: 'event', event, at: now() }));
    handle.current = h;
    h.done.then(
      // The pipeline sends run-done itself; this covers a run that settles without one.
      (summary) => dispatch({ type: 'event', event: { type: 'run-done', summary }, at: now() }),
      (err: unknown) =>
        // The run could not go on at all (no weights, bad options): its message and hint.
        dispatch({ type: 'fatal', message: formatError(err), at: now() }),
    );
    const timer = setInterval(() => dispatch({ type: 'tick', at: now() }), 1000);
    return () => clearInterval(timer);
  }, [start, now]);

  const done = state.phase === 'done';
  useEffect(() => {
    if (done && !waitAtEnd) setExiting(true);
  }, [done, waitAtEnd]);
  useEffect(() => {
    if (!exiting) return;
    // The frame is now empty (see below), so the summary printed after exit is not shown twice.
    onExit({ summary: summaryOf(state), stopped: state.stopped });
    exit();
  }, [exiting, exit, onExit, state]);

  const requestStop = () => {
    dispatch({ type: 'stopping', at: now() });
    void handle.current?.controller.stop();
  };

  useInput((input, key) => {
    const controller = handle.current?.controller;
    if (key.ctrl && input === 'c') {
      if (!done) requestStop();
      else setExiting(true);
      return;
    }
    if (state.overlay === 'confirm-quit') {
      if (input === 'y' || input === 'Y') requestStop();
      else if (input === 'n' || input === 'N' || key.escape)
        dispatch({ type: 'overlay', overlay: 'none', at: now() });
      return;
    }
    if (state.overlay === 'errors') {
      if (input === 'e' || input === 'q' || key.escape || key.backspace) {
        dispatch({ type: 'overlay', overlay: 'none', at: now() });
      }
      return;
    }
    if (input === 'e') {
      dispatch({ type: 'overlay', overlay: 'errors', at: now() });
      return;
    }
    if (done) {
      if (input === 'q' || key.return || key.escape) setExiting(true);
      return;
    }
    if (!controller || state.phase === 'stopping') return;
    if (input === 'p') {
      if (controller.paused) controller.resume();
      else controller.pause();
      dispatch({ type: 'paused', paused: controller.paused, at: now() });
    } else if (input === 'c') {
      const current = currentFile(state);
      if (current) {
        controller.cancelCurrent();
        dispatch({ type: 'cancel-file', file: current.file, at: now() });
      }
    } else if (input === 'q') {
      dispatch({ type: 'overlay', overlay: 'confirm-quit', at: now() });
    }
  });

  if (exiting) return null;
  return <RunDashboardView state={state} columns={width} rows={rows || 24} waitAtEnd={waitAtEnd} />;
}
