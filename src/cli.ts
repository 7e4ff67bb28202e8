/** The `durn` command line: a thin entry that parses arguments and hands over to the commands. */
import { Command, CommanderError } from 'commander';
import { registerDoctorCommand } from './cli/doctor.ts';
import { inCliWords } from './cli/flags.ts';
import { registerModelCommands } from './cli/models.ts';
import { registerPresetCommands } from './cli/presets.ts';
import { registerQueueCommands } from './cli/queue.ts';
import { registerRestoreCommand } from './cli/restore.ts';
import { registerTrainCommands } from './cli/train.ts';
import { registerTuiCommand, withDefaultCommand } from './cli/tui.ts';
import { registerWatchCommand } from './cli/watch.ts';
import { formatError, isUserError } from './core/errors.ts';
import { VERSION } from './core/version.ts';

export function buildProgram(): Command {
  const program = new Command('durn')
    .description('Restore damaged photos with Dual Residual Networks (DuRN, CVPR 2019).')
    .version(VERSION)
    .showHelpAfterError()
    // Throw instead of exiting, so bad usage gets the documented status 2 (commander uses 1).
    .exitOverride();
  registerRestoreCommand(program);
  registerWatchCommand(program);
  registerQueueCommands(program);
  registerModelCommands(program);
  registerTrainCommands(program);
  registerPresetCommands(program);
  registerTuiCommand(program);
  registerDoctorCommand(program);
  return program;
}

/**
 * A closed stdout or stderr (`durn restore … | head -1`) must not stop the work: the photos are
 * still restored, the lines nobody reads are dropped.
 */
function survivePipeClosed(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
    });
  }
}

export async function main(argv: string[]): Promise<number> {
  survivePipeClosed();
  try {
    await buildProgram().parseAsync(withDefaultCommand(argv));
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    // Commander has already printed its message (or the help/version) by now.
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    console.error(`durn: ${inCliWords(formatError(err))}`);
    if (!isUserError(err) && err instanceof Error && err.stack) console.error(err.stack);
    return isUserError(err) ? 2 : 1;
  }
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
