/** `durn restore`: the batch command. Parses flags, picks the output style, maps outcomes to an exit code. */
import { type Command, Option } from 'commander';
import { DurnUserError } from '../core/errors.ts';
import type { DeviceChoice } from '../models/engines/types.ts';
import { exitStatus, type RunEvent, type RunSummary } from '../pipeline/events.ts';
import { closeMetadata } from '../pipeline/metadata/exiftool.ts';
import type { RestoreOptions } from '../pipeline/run/options.ts';
import { eventLine } from '../pipeline/run/report.ts';
import { type RunHandle, startRun } from '../pipeline/run/run.ts';
import { shouldUseTui } from '../tui/terminal.ts';
import {
  collectMaps,
  collectWeights,
  device,
  inCliWords,
  wholeNumber as int,
  onStopSignals,
  quitNow,
  type TilingFlags,
  tilingFlags,
  tilingOptions,
} from './flags.ts';

interface Flags extends TilingFlags {
  task?: string;
  preset?: string;
  out?: string;
  suffix?: string;
  format?: string;
  quality?: number;
  bitDepth?: number;
  weights?: Record<string, string>;
  workers?: number;
  engine?: 'auto' | 'onnx' | 'tfjs' | 'torch';
  device?: DeviceChoice;
  precision?: 'fp32' | 'bf16';
  overwrite?: boolean;
  json?: boolean;
  ui?: boolean;
  maxPixels?: number;
  queue?: string;
  detach?: boolean;
  attempts?: number;
  map?: { from: string; to: string }[];
}

export function toRestoreOptions(inputs: string[], f: Flags): RestoreOptions {
  if (f.bitDepth !== undefined && f.bitDepth !== 8 && f.bitDepth !== 16) {
    throw new DurnUserError('INVALID_OPTION', `Expected 8 or 16 for --bit-depth but received ${f.bitDepth}`);
  }
  return {
    inputs,
    ...(f.task ? { task: f.task } : {}),
    ...(f.preset ? { preset: f.preset } : {}),
    ...(f.out ? { outDir: f.out } : {}),
    ...(f.suffix !== undefined ? { suffix: f.suffix } : {}),
    ...(f.format ? { format: f.format } : {}),
    ...(f.quality !== undefined ? { quality: f.quality } : {}),
    ...(f.bitDepth !== undefined ? { bitDepth: f.bitDepth as 8 | 16 } : {}),
    ...(f.weights ? { weights: f.weights } : {}),
    ...tilingFlags(f),
    ...(f.workers !== undefined ? { workers: f.workers } : {}),
    ...(f.engine ? { engine: f.engine } : {}),
    ...(f.device ? { device: f.device } : {}),
    ...(f.precision ? { precision: f.precision } : {}),
    ...(f.overwrite ? { overwrite: true } : {}),
    ...(f.maxPixels !== undefined ? { maxPixels: f.maxPixels } : {}),
  };
}

/** Ctrl-C once: stop cleanly (no partial files). Twice: leave now. */
function onInterrupt(handle: RunHandle, say: (m: string) => void): () => void {
  let count = 0;
  const handler = () => {
    count += 1;
    if (count === 1) {
      say('durn: stopping: finishing nothing partial (Ctrl-C again to quit at once)');
      void handle.controller.stop();
    } else {
      quitNow();
    }
  };
  return onStopSignals(handler);
}

async function runPlain(options: RestoreOptions, json: boolean): Promise<RunSummary> {
  const write = (line: string) => process.stdout.write(`${line}\n`);
  const onEvent = (e: RunEvent) => {
    if (json) write(JSON.stringify(e));
    else {
      const line = eventLine(e);
      if (line !== null)
        (e.type === 'file-failed' ? process.stderr : process.stdout).write(`${inCliWords(line)}\n`);
    }
  };
  const handle = startRun(options, onEvent);
  const off = onInterrupt(handle, (m) => process.stderr.write(`${m}\n`));
  try {
    return await handle.done;
  } finally {
    off();
  }
}

export function registerRestoreCommand(program: Command): void {
  const cmd = program
    .command('restore')
    .description(
      'Restore photos with a task or a preset; outputs keep format, bit depth, colour profile and metadata.',
    )
    .argument('<inputs...>', 'files, folders (searched recursively) or globs')
    .option('-t, --task <task>', 'one task: denoise, deblur, dehaze, raindrop, derain')
    .option('-p, --preset <preset>', 'a preset (chain of tasks); see `durn presets list`')
    .option('-o, --out <dir>', 'output folder (default: beside each input, with a suffix)')
    .option('--suffix <text>', 'appended to output names (default "-restored" beside the input, "" in --out)')
    .addOption(
      new Option(
        '-f, --format <format>',
        'output format (default: same as input; GIF → png, HEIC → avif)',
      ).choices(['jpeg', 'jpg', 'png', 'webp', 'tiff', 'tif', 'avif']),
    )
    .option('-q, --quality <1-100>', 'JPEG/WebP/AVIF/HEIF quality', int('--quality'))
    .option(
      '--bit-depth <8|16>',
      'output bits per sample (default: same as input; 16 for PNG/TIFF only)',
      int('--bit-depth'),
    )
    .option(
      '-w, --weights <file|task=file>',
      'weights file for the task, or per task (repeatable)',
      collectWeights,
    );
  tilingOptions(cmd)
    .option('--workers <n>', 'worker threads (default: one per core)', int('--workers'))
    .addOption(
      new Option(
        '--engine <engine>',
        'inference engine (default: $DURN_ENGINE, else auto: torch on a CUDA GPU, else onnx)',
      ).choices(['auto', 'onnx', 'tfjs', 'torch']),
    )
    .option('--device <device>', 'auto, cpu, cuda or cuda:N (default: $DURN_DEVICE, else auto)', device)
    .addOption(
      new Option(
        '--precision <p>',
        'torch engine: fp32 or bf16 (CUDA, or a CPU with AVX-512 BF16/AMX)',
      ).choices(['fp32', 'bf16']),
    )
    .option('--max-pixels <n>', 'refuse images larger than this (default 200 MP)', int('--max-pixels'))
    .option('--overwrite', 'replace existing outputs (never originals)')
    .option('--json', 'JSON lines on stdout, one per event')
    .option('--no-ui', 'plain lines even in a terminal')
    .option(
      '--queue <url>',
      'distributed: enqueue one job per file on this Redis (redis:// or rediss://) for `durn worker`s',
    )
    .option('--detach', 'with --queue: only enqueue, print the batch id (`durn queue follow <batch>`)')
    .option('--attempts <n>', 'with --queue: tries per file before it fails (default 3)', int('--attempts'))
    .option(
      '--map <from=to>',
      "with --queue: rewrite this machine's paths to the workers' (repeatable)",
      collectMaps,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  durn restore photos/ --task denoise --out restored/\n  durn restore "scans/*.tif" --preset night-shot --bit-depth 16\n  durn restore img.jpg --task deblur --weights deblur=my.safetensors --json\n\nExit status: 0 all restored (or skipped), 1 some files failed, 2 bad usage, 130 interrupted.',
    )
    .action(async (inputs: string[], flags: Flags) => {
      const options = toRestoreOptions(inputs, flags);
      if (flags.queue) {
        // Distributed mode (BullMQ, ioredis) loads only when asked for.
        const { restoreViaQueue } = await import('./queue.ts');
        process.exitCode = await restoreViaQueue(options, { ...flags, queue: flags.queue });
        return;
      }
      // The UI (ink, .tsx) loads only when drawn: plain and JSON runs stay light, and sources run under Node.
      const ui =
        flags.ui !== false &&
        shouldUseTui({ json: flags.json === true, stdout: process.stdout, stdin: process.stdin })
          ? await import('../tui/render.tsx')
          : null;
      try {
        // The dashboard prints the same summary as the plain output once it closes.
        const summary = ui
          ? await ui.renderRunDashboard((onEvent) => startRun(options, onEvent))
          : await runPlain(options, flags.json === true);
        process.exitCode = exitStatus(summary);
      } finally {
        await closeMetadata();
      }
    });
}
