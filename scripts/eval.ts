/**
 * `npm run eval` (`node scripts/eval.ts [options]`): evaluates every plugin's weights on the
 * BSDS500 test images and writes docs/quality/eval.json (every number) and eval.md (tables).
 *
 * Protocol (src/plugins/eval-protocol.ts, from the plugins' training recipes): grey denoising (DuRN-P) on all 200 test images
 * at σ 30, 50, 70; colour denoising (on camera-pipeline-noise and camera-noise), deblurring, dehazing, raindrop and rain-streak removal on the
 * first --limit images (default 50). Weights are found as `durn restore` finds them (user models
 * folder, then the project's weights/); a plugin without weights is reported and skipped.
 *
 * Exit status: 0 done, 1 an evaluation failed, 2 bad usage or no test images.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundledWeightsDir } from '../src/core/config.ts';
import { DurnUserError } from '../src/core/errors.ts';
import { writeFileAtomic } from '../src/core/fs/atomic.ts';
import { selectProtocol } from '../src/plugins/eval-protocol.ts';
import { evaluateModel } from '../src/plugins/training.ts';
import type { ResolvedWeights } from '../src/plugins/weights-path.ts';
import {
  DEFAULT_EVAL_LIMIT,
  type EvalReport,
  type ProtocolEntry,
  type ReportProblem,
  type ReportResult,
  renderEvalMarkdown,
  reportResult,
} from '../src/training/eval-report.ts';
import { VALIDATION_SEED } from '../src/training/evaluate.ts';
import { usageError as fail, parseFlags, weightsIn } from './script-cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATA = resolve(ROOT, '../shared/data/bsds500/test');

const USAGE = `Usage: npm run eval -- [options]   (node scripts/eval.ts [options])

Evaluates each plugin's weights on the BSDS500 test images; writes <out>/eval.json and eval.md.
  --data <folder>        test images (default: ../shared/data/bsds500/test from the project root)
  --only <list>          comma-separated tasks, networks or evaluations (denoise, durn-u, denoise-rgb, …)
  --limit <n>            images for every network but grey denoising (default ${DEFAULT_EVAL_LIMIT})
  --gray-limit <n>       images for grey denoising (default: all, the paper's 200)
  --out <dir>            output folder (default: docs/quality)
  --weights-dir <dir>    weights files (plugins' default names) from this folder (default: the shipped weights/)
  --engine <name>        auto | onnx | tfjs (default auto: onnx when it loads)
  --threads <n>          ONNX threads (default: all cores)
  -h, --help             this text`;

function usageError(message: string): never {
  return fail('durn eval', USAGE, message);
}

function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    usageError(`Expected a positive integer for ${flag} but received "${value}"`);
  return n;
}

function parse() {
  const str = parseFlags('durn eval', USAGE, {
    data: { type: 'string' },
    only: { type: 'string' },
    limit: { type: 'string' },
    'gray-limit': { type: 'string' },
    out: { type: 'string' },
    'weights-dir': { type: 'string' },
    engine: { type: 'string' },
    threads: { type: 'string' },
  });
  const engine = str('engine') ?? 'auto';
  if (engine !== 'auto' && engine !== 'onnx' && engine !== 'tfjs') {
    usageError(`Expected auto, onnx or tfjs for --engine but received "${engine}"`);
  }
  return {
    data: str('data') === undefined ? DEFAULT_DATA : resolve(str('data')!),
    only: (str('only') ?? '').split(','),
    limit: positive(str('limit'), '--limit') ?? DEFAULT_EVAL_LIMIT,
    grayLimit: positive(str('gray-limit'), '--gray-limit'),
    out: resolve(str('out') ?? join(ROOT, 'docs/quality')),
    // The project's shipped weights by default: a user's own models must not stand in for them.
    weightsDir: resolve(str('weights-dir') ?? bundledWeightsDir()),
    engine: engine as 'auto' | 'onnx' | 'tfjs',
    threads: positive(str('threads'), '--threads'),
  };
}

/** A path relative to the project root when it is inside it (or next to it, like ../shared). */
function shown(path: string): string {
  const rel = relative(ROOT, path);
  return rel.startsWith('../..') || isAbsolute(rel) ? path : rel;
}

function progress(id: string, started: number): (done: number, total: number) => void {
  const tty = process.stderr.isTTY === true;
  return (done, total) => {
    const per = (performance.now() - started) / 1000 / done;
    const left = Math.round(per * (total - done));
    const text = `${id}: image ${done}/${total}, ${per.toFixed(1)} s/image, ~${left} s left`;
    if (tty) process.stderr.write(`\r\x1b[2K${text}${done === total ? '\n' : ''}`);
    else if (done === total || done % 10 === 0) process.stderr.write(`${text}\n`);
  };
}

function reason(err: unknown): string {
  if (err instanceof DurnUserError) return err.hint ? `${err.message} (${err.hint})` : err.message;
  return err instanceof Error ? err.message : String(err);
}

async function previousResults(
  file: string,
  only: readonly string[],
  protocol: { limit: number; grayLimit: number | undefined },
): Promise<ReportResult[]> {
  if (only.every((x) => x === '') || !existsSync(file)) return [];
  const old = JSON.parse(await readFile(file, 'utf8')) as EvalReport;
  const same =
    old.protocol?.limit === protocol.limit && old.protocol.grayLimit === (protocol.grayLimit ?? null);
  return same ? [...old.results] : [];
}

async function main(): Promise<number> {
  const o = parse();
  let entries: ProtocolEntry[];
  try {
    entries = selectProtocol(o.only);
  } catch (err) {
    usageError(reason(err));
  }
  if (!existsSync(o.data) || !statSync(o.data).isDirectory()) {
    process.stderr.write(
      `durn eval: no test images: the folder ${o.data} does not exist.\n` +
        'Pass --data <folder> with the 200 BSDS500 test images (the project expects them in ' +
        '../shared/data/bsds500/test).\n',
    );
    return 2;
  }
  const started = performance.now();
  const results: ReportResult[] = [];
  const skipped: ReportProblem[] = [];
  const failed: ReportProblem[] = [];
  for (const entry of entries) {
    const problem = { id: entry.id, task: entry.task, network: entry.network };
    let weights: ResolvedWeights;
    try {
      weights = weightsIn(entry, o.weightsDir);
    } catch (err) {
      if (!(err instanceof DurnUserError && err.code === 'WEIGHTS_MISSING')) throw err;
      process.stderr.write(`${entry.id}: skipped, ${err.message}\n`);
      skipped.push({ ...problem, reason: err.message });
      continue;
    }
    const limit = entry.allImages ? o.grayLimit : o.limit;
    process.stderr.write(
      `${entry.id}: ${entry.network} with ${shown(weights.path)} on ${limit ?? 'all'} image(s)` +
        `${entry.sigma ? ` at σ ${entry.sigma.join(', ')}` : ''}` +
        `${entry.degradation ? `, ${entry.degradation}` : ''}\n`,
    );
    try {
      const r = await evaluateModel(
        {
          task: entry.task,
          network: entry.network,
          data: o.data,
          weights: weights.path,
          ...(entry.sigma ? { sigma: [...entry.sigma] } : {}),
          ...(entry.degradation ? { degradation: entry.degradation } : {}),
          ...(limit !== undefined ? { limit } : {}),
          engine: o.engine,
          ...(o.threads !== undefined ? { threads: o.threads } : {}),
        },
        progress(entry.id, performance.now()),
      );
      results.push(reportResult(entry, r, { path: shown(weights.path), source: weights.source }));
    } catch (err) {
      process.stderr.write(`${entry.id}: failed, ${reason(err)}\n`);
      failed.push({ ...problem, reason: reason(err) });
    }
  }
  // With --only, the other plugins' results of an earlier run are kept (same protocol only).
  const earlier = await previousResults(join(o.out, 'eval.json'), o.only, {
    limit: o.limit,
    grayLimit: o.grayLimit,
  });
  const evaluated = new Set(results.map((r) => r.id));
  results.push(...earlier.filter((r) => !evaluated.has(r.id)));
  const order = selectProtocol(['']).map((e) => e.id);
  results.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const report: EvalReport = {
    date: new Date().toISOString(),
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    engine: results[0]?.engine ?? o.engine,
    data: shown(o.data),
    protocol: {
      seed: VALIDATION_SEED,
      limit: o.limit,
      grayLimit: o.grayLimit ?? null,
      // The protocol's, whichever plugins this run evaluated (results of others may be merged in).
      sigmas: selectProtocol(['']).find((e) => e.sigma)?.sigma ?? [],
    },
    results,
    skipped,
    failed,
  };
  await mkdir(o.out, { recursive: true });
  await writeFileAtomic(join(o.out, 'eval.json'), Buffer.from(`${JSON.stringify(report, null, 2)}\n`), {
    overwrite: true,
  });
  await writeFileAtomic(join(o.out, 'eval.md'), Buffer.from(renderEvalMarkdown(report)), { overwrite: true });
  process.stderr.write(
    `wrote ${shown(join(o.out, 'eval.json'))} and eval.md: ${results.length} evaluated, ` +
      `${skipped.length} skipped, ${failed.length} failed, ${report.wallSeconds.toFixed(0)} s\n`,
  );
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`durn eval: ${reason(err)}\n`);
    process.exitCode = 1;
  },
);
