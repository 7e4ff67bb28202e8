/**
 * `durn tui`, and `durn` with no arguments in a terminal. The UI's modules (React, ink) are loaded
 * only when the UI is used, so other commands start as fast as before.
 */
import type { Command } from 'commander';

export function registerTuiCommand(program: Command): void {
  program
    .command('tui')
    .description('Interactive set-up and progress dashboard in the terminal (also: `durn` with no arguments)')
    .action(async () => {
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        throw new (await import('../core/errors.ts')).DurnUserError(
          'INVALID_OPTION',
          'Expected a terminal for `durn tui` but stdin or stdout is not one',
          { hint: 'use `durn restore <inputs> --task <task>` in scripts and pipes' },
        );
      }
      const { runTuiSetup } = await import('../tui/render.tsx');
      process.exitCode = await runTuiSetup();
    });
}

export { withDefaultCommand } from '../tui/terminal.ts';
