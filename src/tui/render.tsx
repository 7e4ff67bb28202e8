/** Mounting the ink apps on the real terminal, and what is printed after they exit. */

import { cpus, homedir } from 'node:os';
import { render } from 'ink';
import { DurnBugError, formatError } from '../core/errors.ts';
import { exitStatus, type RunSummary } from '../pipeline/events.ts';
import { RunDashboardApp, type RunResult } from './dashboard/RunDashboard.tsx';
import { loadCatalog } from './setup/catalog.ts';
import { loadRemembered, rememberedPath, saveRemembered } from './setup/remembered.ts';
import { SetupApp } from './setup/SetupApp.tsx';
import { initialSetupState, type SetupResult, type SetupState, toRemembered } from './state/setup-state.ts';
import type { WatchState } from './state/watch-state.ts';
import { summaryText } from './summary.ts';
import { colorEnabled, ThemeProvider } from './theme.tsx';

export { shouldUseTui } from './terminal.ts';

import type { StartRun, StartWatch } from './types.ts';
import { WatchDashboard } from './watch/WatchDashboard.tsx';

export interface TerminalOptions {
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function theme(t: TerminalOptions) {
  return { color: colorEnabled(t.env ?? process.env) };
}

function mountOptions(t: TerminalOptions) {
  // Ctrl+C is a key of ours: it stops the run cleanly rather than killing it mid-write.
  // Callers have already decided to draw (a terminal was found, or `durn tui` was asked for), so
  // ink must not fall back to its CI mode, which prints only the last frame.
  return {
    exitOnCtrlC: false,
    interactive: true,
    ...(t.stdout ? { stdout: t.stdout } : {}),
    ...(t.stdin ? { stdin: t.stdin } : {}),
  };
}

/**
 * The run dashboard for `durn restore` in a terminal. Resolves with the run's summary once the
 * run has ended and the UI is gone; the summary is then printed as plain text on stdout.
 */
export async function renderRunDashboard(
  start: StartRun,
  options: TerminalOptions & { waitAtEnd?: boolean } = {},
): Promise<RunSummary> {
  let result: RunResult | undefined;
  const app = render(
    <ThemeProvider theme={theme(options)}>
      <RunDashboardApp
        start={start}
        waitAtEnd={options.waitAtEnd ?? false}
        onExit={(r) => {
          result = r;
        }}
      />
    </ThemeProvider>,
    mountOptions(options),
  );
  await app.waitUntilExit();
  if (!result) throw new DurnBugError('the run dashboard exited without a result');
  (options.stdout ?? process.stdout).write(summaryText(result.summary, { stopped: result.stopped }));
  return result.stopped ? { ...result.summary, stopped: true } : result.summary;
}

/** The watch dashboard for `durn watch` in a terminal; resolves when watching has stopped. */
export async function renderWatchDashboard(
  start: StartWatch,
  options: TerminalOptions = {},
): Promise<WatchState> {
  let final: WatchState | undefined;
  const app = render(
    <ThemeProvider theme={theme(options)}>
      <WatchDashboard
        start={start}
        onExit={(s) => {
          final = s;
        }}
      />
    </ThemeProvider>,
    mountOptions(options),
  );
  await app.waitUntilExit();
  if (!final) throw new DurnBugError('the watch dashboard exited without a state');
  const l = final.ledger;
  (options.stdout ?? process.stdout).write(
    `Stopped watching ${final.folder ?? ''}` +
      (l ? `: ${l.done} done, ${l.failed} failed, ${l.pending} pending in the ledger` : '') +
      '\n',
  );
  return final;
}

/**
 * `durn` / `durn tui`: the set-up screens, then the run dashboard. Returns the exit code: 0 when
 * every photo was restored (or the user quit the set-up), 1 when any failed.
 */
export async function runTuiSetup(options: TerminalOptions = {}): Promise<number> {
  const configPath = rememberedPath(options.env ? { env: options.env } : {});
  const remembered = await loadRemembered(configPath);
  const initial = initialSetupState({
    cwd: process.cwd(),
    home: homedir(),
    catalog: loadCatalog(),
    remembered: remembered.value,
    notices: remembered.notice ? [remembered.notice] : [],
    maxWorkers: Math.max(1, cpus().length),
  });
  let outcome: { result: SetupResult; state: SetupState } | undefined;
  const app = render(
    <ThemeProvider theme={theme(options)}>
      <SetupApp
        initial={initial}
        onDone={(result, state) => {
          outcome = { result, state };
        }}
      />
    </ThemeProvider>,
    mountOptions(options),
  );
  await app.waitUntilExit();
  if (!outcome || outcome.result.kind === 'quit') return 0;
  try {
    await saveRemembered(configPath, toRemembered(outcome.state));
  } catch (err) {
    // Not remembering settings must not stop the run the user just asked for.
    process.stderr.write(`durn: ${formatError(err)}\n`);
  }
  const restoreOptions = outcome.result.options;
  const { startRun } = await import('../pipeline/run/run.ts');
  const summary = await renderRunDashboard((onEvent) => startRun(restoreOptions, onEvent), {
    ...options,
    waitAtEnd: true,
  });
  return exitStatus(summary);
}
