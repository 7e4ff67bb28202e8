/**
 * `durn watch`: restore whatever lands in a folder until stopped. Also `--status <out>` (what the
 * ledger knows) and `--forget <file> --out <dir>` (restore a file again). Ctrl-C or SIGTERM stops
 * cleanly: nothing partial is left, work in flight is redone on the next start, exit status 0.
 */
import { type Command, Option } from 'commander';
import { DurnUserError, expected } from '../core/errors.ts';
import type { DeviceChoice } from '../models/engines/types.ts';
import type { RunEvent, WatchEvent, WatchListener } from '../pipeline/events.ts';
import { closeMetadata } from '../pipeline/metadata/exiftool.ts';
import { eventLine } from '../pipeline/run/report.ts';
import { type WatchFolderOptions, type WatchHandle, watchFolder } from '../pipeline/watch/index.ts';
import { printStatus, retryFile, watchStatus } from '../pipeline/watch/status.ts';
import { shouldUseTui } from '../tui/terminal.ts';
import type { StartWatch } from '../tui/types.ts';
import {
  collectMaps,
  collectWeights,
  device,
  wholeNumber as int,
  onStopSignals,
  quitNow,
  type TilingFlags,
  tilingFlags,
  tilingOptions,
} from './flags.ts';

interface Flags extends TilingFlags {
  out?: string;
  task?: string;
  preset?: string;
  processed?: string;
  deleteOriginals?: boolean;
  failed?: string;
  workers?: number;
  settle?: number;
  reprocess?: boolean;
  json?: boolean;
  ui?: boolean;
  status?: string;
  forget?: string;
  format?: string;
  quality?: number;
  bitDepth?: number;
  weights?: Record<string, string>;
  engine?: 'auto' | 'onnx' | 'tfjs' | 'torch';
  device?: DeviceChoice;
  precision?: 'fp32' | 'bf16';
  maxPixels?: number;
  queue?: string;
  attempts?: number;
  map?: { from: string; to: string }[];
}

export function toWatchOptions(input: string, f: Flags): WatchFolderOptions {
  if (!f.out) {
    throw new DurnUserError('INVALID_OPTION', expected('an output folder', '--out', f.out), {
      hint: 'e.g. `durn watch incoming/ --out restored/ --task denoise`',
    });
  }
  if (f.bitDepth !== undefined && f.bitDepth !== 8 && f.bitDepth !== 16) {
    throw new DurnUserError('INVALID_OPTION', expected('8 or 16', '--bit-depth', f.bitDepth));
  }
  return {
    input,
    out: f.out,
    ...(f.task ? { task: f.task } : {}),
    ...(f.preset ? { preset: f.preset } : {}),
    ...(f.processed ? { processed: f.processed } : {}),
    ...(f.deleteOriginals ? { deleteOriginals: true } : {}),
    ...(f.failed ? { failed: f.failed } : {}),
    ...(f.workers !== undefined ? { workers: f.workers } : {}),
    ...(f.settle !== undefined ? { settleMs: f.settle } : {}),
    ...(f.reprocess ? { reprocess: true } : {}),
    ...(f.format ? { format: f.format } : {}),
    ...(f.quality !== undefined ? { quality: f.quality } : {}),
    ...(f.bitDepth !== undefined ? { bitDepth: f.bitDepth as 8 | 16 } : {}),
    ...(f.weights ? { weights: f.weights } : {}),
    ...tilingFlags(f),
    ...(f.engine ? { engine: f.engine } : {}),
    ...(f.device ? { device: f.device } : {}),
    ...(f.precision ? { precision: f.precision } : {}),
    ...(f.maxPixels !== undefined ? { maxPixels: f.maxPixels } : {}),
    ...(f.queue
      ? {
          queue: {
            url: f.queue,
            ...(f.attempts !== undefined ? { attempts: f.attempts } : {}),
            ...(f.map ? { map: f.map } : {}),
          },
        }
      : {}),
  };
}

/** Ctrl-C or SIGTERM once: stop cleanly. Twice: leave now (the ledger redoes what was in flight). */
function onInterrupt(stop: () => void, say: (m: string) => void): () => void {
  let count = 0;
  const handler = () => {
    count += 1;
    if (count > 1) return quitNow();
    say('durn: stopping: no partial files are left; unfinished photos are redone on the next start');
    stop();
  };
  return onStopSignals(handler);
}

function watchLine(e: RunEvent | WatchEvent, last: { ledger?: WatchEvent }): string | null {
  switch (e.type) {
    case 'watch-start':
      return `durn: watching ${e.folder} → ${e.out}${e.recovered ? ` (${e.recovered} interrupted file(s) to redo)` : ''}`;
    case 'watch-retry':
      return `${e.file}: retrying (attempt ${e.attempt}): ${e.error}`;
    case 'ledger':
      last.ledger = e;
      return null;
    case 'watch-stop': {
      const l = last.ledger?.type === 'ledger' ? last.ledger : null;
      return `durn: stopped watching${l ? `; ledger: ${l.done} done, ${l.failed} failed, ${l.pending} pending` : ''}`;
    }
    case 'watch-queue':
      return null;
    default:
      return eventLine(e);
  }
}

async function watchPlain(options: WatchFolderOptions, json: boolean): Promise<void> {
  const last: { ledger?: WatchEvent } = {};
  const emit: WatchListener = (e) => {
    if (json) return void process.stdout.write(`${JSON.stringify(e)}\n`);
    const line = watchLine(e, last);
    if (line !== null) (e.type === 'file-failed' ? process.stderr : process.stdout).write(`${line}\n`);
  };
  const handle = await watchFolder(options, emit);
  const off = onInterrupt(
    () => void handle.stop(),
    (m) => process.stderr.write(`${m}\n`),
  );
  try {
    await handle.done;
  } finally {
    off();
  }
}

async function watchDashboard(options: WatchFolderOptions): Promise<void> {
  let fatal: unknown = null;
  let current: Promise<WatchHandle> | null = null;
  const start: StartWatch = (onEvent) => {
    const h = watchFolder(options, (e) => {
      if (e.type === 'watch-retry') onEvent({ type: 'notice', message: `retrying ${e.file}: ${e.error}` });
      else if (e.type !== 'watch-stop') onEvent(e);
    });
    h.catch((err: unknown) => {
      fatal = err;
    });
    current = h;
    return {
      stop: () => h.then((x) => x.stop()).catch(() => undefined),
      done: h.then((x) => x.done),
    };
  };
  // Ctrl-C is a key of the dashboard; SIGTERM (a service manager) must stop it just as cleanly.
  const off = onInterrupt(
    () => void current?.then((x) => x.stop()).catch(() => undefined),
    () => {},
  );
  try {
    // Loaded only when drawn: React and ink stay out of plain and JSON runs (and of node's .ts loader).
    const { renderWatchDashboard } = await import('../tui/render.tsx');
    await renderWatchDashboard(start);
  } finally {
    off();
  }
  if (fatal) throw fatal;
}

export function registerWatchCommand(program: Command): void {
  const cmd = program
    .command('watch')
    .description('Restore every photo that lands in a folder, exactly once, until stopped.')
    .argument('[input]', 'folder to watch (searched recursively)')
    .option('-o, --out <dir>', 'output folder (sub-folders mirrored; holds the ledger in .durn/)')
    .option('-t, --task <task>', 'one task: denoise, deblur, dehaze, raindrop, derain')
    .option('-p, --preset <preset>', 'a preset (chain of tasks); see `durn presets list`')
    .option('--processed <dir>', 'move originals here once restored (default: leave them in place)')
    .option('--delete-originals', 'delete originals once their output and metadata are safely written')
    .option('--failed <dir>', 'where files that fail go, with a .error.txt (default: <out>/failed)')
    .option('--workers <n>', 'worker threads (default: one per core)', int('--workers'))
    .option('--settle <ms>', 'a file is taken once unchanged this long (default 2000)', int('--settle'))
    .option('--reprocess', 'restore again photos done with another preset or other weights')
    .option('--status <out>', 'show what the ledger of an output folder knows, then exit')
    .option('--forget <file>', 'forget a file (with --out) so it is restored again, then exit')
    .addOption(
      new Option('-f, --format <format>', 'output format (default: same as input)').choices([
        'jpeg',
        'png',
        'webp',
        'tiff',
        'avif',
        'heif',
        'jpg',
        'tif',
        'heic',
      ]),
    )
    .option('-q, --quality <1-100>', 'JPEG/WebP/AVIF/HEIF quality', int('--quality'))
    .option('--bit-depth <8|16>', 'output bits per sample (default: same as input)', int('--bit-depth'))
    .option('-w, --weights <file|task=file>', 'weights file, or per task (repeatable)', collectWeights);
  tilingOptions(cmd)
    .addOption(new Option('--engine <engine>', 'inference engine').choices(['auto', 'onnx', 'tfjs', 'torch']))
    .option('--device <device>', 'auto, cpu, cuda or cuda:N (onnx and torch engines)', device)
    .addOption(
      new Option(
        '--precision <p>',
        'torch engine: fp32 or bf16 (CUDA, or a CPU with AVX-512 BF16/AMX)',
      ).choices(['fp32', 'bf16']),
    )
    .option('--max-pixels <n>', 'refuse images larger than this', int('--max-pixels'))
    .option('--json', 'JSON lines on stdout, one per event')
    .option('--no-ui', 'plain lines even in a terminal')
    .option(
      '--queue <url>',
      'distributed: enqueue each photo on this Redis for `durn worker`s instead of restoring here',
    )
    .option('--attempts <n>', 'with --queue: tries per photo before it fails (default 3)', int('--attempts'))
    .option(
      '--map <from=to>',
      "with --queue: rewrite this machine's paths to the workers' (repeatable)",
      collectMaps,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  durn watch incoming/ --out restored/ --task denoise\n  durn watch tether/ --out done/ --preset night-shot --processed originals/\n  durn watch --status restored/\n  durn watch --forget restored/failed/IMG_0042.JPG --out restored/\n\nExit status: 0 stopped cleanly (Ctrl-C, SIGTERM), 2 bad usage.',
    )
    .action(async (input: string | undefined, flags: Flags) => {
      if (flags.status) {
        const s = await watchStatus(flags.status);
        if (flags.json) console.log(JSON.stringify(s));
        else printStatus(s, console.log);
        return;
      }
      if (flags.forget) {
        if (!flags.out) throw new DurnUserError('INVALID_OPTION', expected('--out', '--forget', undefined));
        const r = await retryFile(flags.forget, flags.out);
        console.log(
          `durn: forgot ${r.forgotten} ledger record(s) of ${flags.forget}` +
            (r.movedTo ? `; moved it back to ${r.movedTo}, restored by the next (or running) watch` : ''),
        );
        process.exitCode = r.forgotten > 0 || r.movedTo ? 0 : 1;
        return;
      }
      if (!input) {
        throw new DurnUserError('INVALID_OPTION', expected('a folder to watch', 'the input', input), {
          hint: 'e.g. `durn watch incoming/ --out restored/ --task denoise`',
        });
      }
      const options = toWatchOptions(input, flags);
      try {
        if (
          flags.ui !== false &&
          shouldUseTui({ json: flags.json === true, stdout: process.stdout, stdin: process.stdin })
        ) {
          await watchDashboard(options);
        } else {
          await watchPlain(options, flags.json === true);
        }
        process.exitCode = 0;
      } finally {
        await closeMetadata();
      }
    });
}
