/**
 * Distributed mode's commands: `durn worker`, `durn queue status|follow|retry|clean`, and what
 * `durn restore --queue` runs. BullMQ and ioredis load only here, on demand (dynamic imports),
 * so local runs never load them.
 */
import { type Command, Option } from 'commander';
import type { RunEvent, RunSummary } from '../pipeline/events.ts';
import { closeMetadata } from '../pipeline/metadata/exiftool.ts';
import type { PathMap } from '../pipeline/queue/job.ts';
import type { WorkerEvent } from '../pipeline/queue/worker.ts';
import { eventLine } from '../pipeline/run/report.ts';
import type { RestoreOptions, RunController } from '../pipeline/run/run.ts';
import { shouldUseTui } from '../tui/terminal.ts';
import { collectMaps, wholeNumber as int } from './flags.ts';

const queueOption = () =>
  new Option('--queue <url>', 'Redis URL: redis://[user:password@]host:6379[/db] or rediss:// (TLS)').env(
    'DURN_QUEUE',
  );

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Ctrl-C or SIGTERM once: `first`. Twice: leave now. */
function onInterrupt(first: () => void): () => void {
  let count = 0;
  const handler = () => {
    count += 1;
    if (count > 1) process.exit(130);
    first();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** Follows a batch with the dashboard, JSON lines or plain lines, like a local run. */
async function follow(
  url: string,
  batch: string,
  flags: { json?: boolean; ui?: boolean },
): Promise<RunSummary> {
  const { followBatch } = await import('../pipeline/queue/batch.ts');
  const useUi =
    flags.ui !== false &&
    shouldUseTui({ json: flags.json === true, stdout: process.stdout, stdin: process.stdin });
  if (useUi) {
    const ui = await import('../tui/render.tsx');
    return ui.renderRunDashboard((onEvent) => {
      const ac = new AbortController();
      const done = followBatch(url, batch, onEvent, { signal: ac.signal });
      // The jobs belong to the queue: stopping stops following, and workers carry on.
      const controller: RunController = {
        pause: () => {},
        resume: () => {},
        paused: false,
        cancelCurrent: () => {},
        stop: async () => {
          ac.abort();
          await done.catch(() => {});
        },
      };
      return { controller, done };
    });
  }
  const ac = new AbortController();
  const off = onInterrupt(() => {
    process.stderr.write(
      `durn: stopped following; the jobs go on (\`durn queue follow ${batch}\` to follow again)\n`,
    );
    ac.abort();
  });
  try {
    return await followBatch(url, batch, (e) => printEvent(e, flags.json === true), { signal: ac.signal });
  } finally {
    off();
  }
}

function printEvent(e: RunEvent, json: boolean): void {
  if (json) return void process.stdout.write(`${JSON.stringify(e)}\n`);
  const line = eventLine(e);
  if (line !== null) (e.type === 'file-failed' ? process.stderr : process.stdout).write(`${line}\n`);
}

export interface QueueRestoreFlags {
  queue: string;
  detach?: boolean;
  attempts?: number;
  map?: PathMap[];
  json?: boolean;
  ui?: boolean;
}

/** `durn restore … --queue URL`: enqueue one job per file, then follow (or print the batch id). */
export async function restoreViaQueue(options: RestoreOptions, flags: QueueRestoreFlags): Promise<number> {
  const { submitBatch } = await import('../pipeline/queue/enqueue.ts');
  const b = await submitBatch({
    ...options,
    queue: flags.queue,
    ...(flags.attempts !== undefined ? { attempts: flags.attempts } : {}),
    ...(flags.map ? { map: flags.map } : {}),
  });
  for (const r of b.rejected) process.stderr.write(`${r.file}: FAILED: ${r.error}\n`);
  if (flags.detach) {
    if (flags.json)
      console.log(JSON.stringify({ batch: b.id, files: b.items.length, rejected: b.rejected.length }));
    else console.log(b.id);
    return b.rejected.length > 0 ? 1 : 0;
  }
  if (flags.json) console.log(JSON.stringify({ type: 'batch', batch: b.id, files: b.items.length }));
  else process.stderr.write(`durn: batch ${b.id}: ${b.items.length} file(s) queued\n`);
  const summary = await follow(flags.queue, b.id, flags);
  return summary.failed > 0 || b.rejected.length > 0 ? 1 : 0;
}

interface WorkerFlags {
  queue: string;
  concurrency?: number;
  workers?: number;
  threads?: number;
  engine?: 'auto' | 'onnx' | 'tfjs';
  device?: 'auto' | 'cpu' | 'cuda';
  name?: string;
  map?: PathMap[];
  allow?: string[];
  weightsDir?: string[];
  lockMs?: number;
  json?: boolean;
}

function workerLine(e: WorkerEvent): string | null {
  switch (e.type) {
    case 'worker-start':
      return `durn worker ${e.name}: taking jobs from ${e.queue} (engine ${e.engine})`;
    case 'job-start':
      return `${e.file}: job ${e.job} (batch ${e.batch})`;
    case 'job-rejected':
      return `job ${e.job}: REJECTED: ${e.error}`;
    case 'worker-stop':
      return `durn worker ${e.name}: stopped`;
    case 'file-start':
    case 'step-start':
      return null;
    default:
      return eventLine(e);
  }
}

export function registerQueueCommands(program: Command): void {
  program
    .command('worker')
    .description('Take restore jobs from a Redis queue and run them here, until stopped (distributed mode).')
    .addOption(queueOption().makeOptionMandatory())
    .option('-c, --concurrency <n>', 'files restored at once (default 1)', int('--concurrency'))
    .option('--workers <n>', 'inference threads (default: one per core)', int('--workers'))
    .option(
      '--threads <n>',
      'intra-op threads per inference thread (default: cores / workers)',
      int('--threads'),
    )
    .addOption(
      new Option('--engine <engine>', 'inference engine').choices(['auto', 'onnx', 'tfjs']).default('auto'),
    )
    .addOption(
      new Option('--device <device>', 'device for ONNX').choices(['auto', 'cpu', 'cuda']).default('auto'),
    )
    .option('--name <name>', 'shown beside each file it restores (default host:pid)')
    .option('--map <from=to>', "rewrite job paths to this machine's (repeatable)", collectMaps)
    .option('--allow <dir>', 'only read and write inside these folders (repeatable)', collect)
    .option('--weights-dir <dir>', 'more folders to find weights in, by hash (repeatable)', collect)
    .option(
      '--lock-ms <ms>',
      "how soon a dead worker's job is re-run elsewhere (default 30000)",
      int('--lock-ms'),
    )
    .option('--json', 'JSON lines on stdout, one per event')
    .addHelpText(
      'after',
      "\nExamples:\n  durn worker --queue redis://nas:6379\n  durn worker --queue rediss://:secret@queue.example:6380/1 --map /mnt/photos=/Volumes/photos --device cuda\n\nCtrl-C (or SIGTERM) finishes the current files and exits 0; a killed worker's jobs are re-run by others.",
    )
    .action(async (f: WorkerFlags) => {
      const { startQueueWorker } = await import('../pipeline/queue/worker.ts');
      const handle = await startQueueWorker(
        {
          queue: f.queue,
          ...(f.concurrency ? { concurrency: f.concurrency } : {}),
          ...(f.workers ? { workers: f.workers } : {}),
          ...(f.threads ? { threads: f.threads } : {}),
          ...(f.engine ? { engine: f.engine } : {}),
          ...(f.device ? { device: f.device } : {}),
          ...(f.name ? { name: f.name } : {}),
          ...(f.map ? { map: f.map } : {}),
          ...(f.allow ? { allow: f.allow } : {}),
          ...(f.weightsDir ? { weightsDirs: f.weightsDir } : {}),
          ...(f.lockMs ? { lockMs: f.lockMs } : {}),
        },
        (e) => {
          if (f.json) return void process.stdout.write(`${JSON.stringify(e)}\n`);
          const line = workerLine(e);
          if (line !== null)
            (e.type === 'file-failed' || e.type === 'job-rejected' ? process.stderr : process.stdout).write(
              `${line}\n`,
            );
        },
      );
      const off = onInterrupt(() => {
        process.stderr.write(
          'durn: stopping: finishing the current file (Ctrl-C again to quit; its job is then re-run elsewhere)\n',
        );
        void handle.stop();
      });
      try {
        await handle.done;
      } finally {
        off();
        await closeMetadata();
      }
      process.exitCode = 0;
    });

  const queue = program
    .command('queue')
    .description('Batches of a distributed queue: status, follow, retry, clean.');
  queue
    .command('status')
    .description('Show a batch (or the latest batches) and the live workers.')
    .argument('[batch]', 'batch id (printed by durn restore --queue)')
    .addOption(queueOption().makeOptionMandatory())
    .option('--json', 'one JSON object')
    .action(async (batch: string | undefined, f: { queue: string; json?: boolean }) => {
      const { batchStatus, listBatches } = await import('../pipeline/queue/batch.ts');
      if (!batch) {
        const list = await listBatches(f.queue);
        if (f.json) console.log(JSON.stringify(list));
        else
          for (const b of list)
            console.log(`${b.id}  ${new Date(b.created).toISOString()}  ${b.files} file(s)  ${b.chain}`);
        return;
      }
      const s = await batchStatus(f.queue, batch);
      if (f.json) return void console.log(JSON.stringify(s));
      const c = s.counts;
      console.log(
        `batch ${s.meta.id} (${s.meta.chain}): ${c.completed} done, ${c.failed} failed, ${c.active} running, ${c.waiting + c.delayed} waiting, ${c.duplicate} duplicate, ${c.unknown} cleaned`,
      );
      for (const i of s.items) {
        const who = i.result?.worker ?? i.progress?.worker;
        console.log(
          `  ${i.state.padEnd(9)} ${i.item.file}${who ? `  (${who})` : ''}${i.error ? `: ${i.error}` : ''}`,
        );
      }
      console.log(
        `workers: ${s.workers.map((w) => `${w.name} (${w.host}, ${w.engine}, ${w.device}, ${w.threads} thread(s))`).join('; ') || 'none'}`,
      );
    });
  queue
    .command('follow')
    .description('Follow a batch to its end, like durn restore does (exit 1 when a file failed).')
    .argument('<batch>', 'batch id')
    .addOption(queueOption().makeOptionMandatory())
    .option('--json', 'JSON lines on stdout, one per event')
    .option('--no-ui', 'plain lines even in a terminal')
    .action(async (batch: string, f: { queue: string; json?: boolean; ui?: boolean }) => {
      const summary = await follow(f.queue, batch, f);
      process.exitCode = summary.failed > 0 ? 1 : 0;
    });
  queue
    .command('retry')
    .description("Run a batch's failed jobs again (only those).")
    .argument('<batch>', 'batch id')
    .addOption(queueOption().makeOptionMandatory())
    .action(async (batch: string, f: { queue: string }) => {
      const { retryBatch } = await import('../pipeline/queue/batch.ts');
      console.log(`durn: ${await retryBatch(f.queue, batch)} failed job(s) of ${batch} queued again`);
    });
  queue
    .command('clean')
    .description("Remove a batch's finished jobs and its record (its photos may then be restored again).")
    .argument('<batch>', 'batch id')
    .addOption(queueOption().makeOptionMandatory())
    .action(async (batch: string, f: { queue: string }) => {
      const { cleanBatch } = await import('../pipeline/queue/batch.ts');
      const r = await cleanBatch(f.queue, batch);
      console.log(
        `durn: removed ${r.removed} finished job(s) of ${batch}${r.kept ? `; ${r.kept} still waiting or running were kept` : ''}`,
      );
    });
}
