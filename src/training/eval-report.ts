/**
 * The report of the quality protocol behind `npm run eval` (scripts/eval.ts): the Markdown tables
 * of docs/quality/eval.md. The protocol itself (which network is evaluated on what) is built from
 * the task plugins' recipes (src/plugins/eval-protocol.ts). Pure: the script does the I/O.
 *
 * Protocol (BSDS500 test images, synthetic degradations seeded per image, see eval-run.ts):
 * Gaussian denoising (DuRN-P, grey) on all 200 images at σ 30, 50 and 70, as in the paper; every
 * other network on the first `limit` images (default 50) with its task's synthetic degradation.
 */
import type { NetworkId } from '../models/graph/types.ts';
import { getNetwork } from '../models/networks/index.ts';
import type { EvalPass, EvalResult, EvalRow } from './eval-run.ts';
import type { MetricColorSpace } from './metrics.ts';

export interface ProtocolEntry {
  /** The evaluation's name (the recipe's degradation key), also the example's file name. */
  readonly id: string;
  /** The synthetic degradation by registered name, when the recipe lists evaluations. */
  readonly degradation?: string;
  /** The plugin (task id) whose weights are evaluated. */
  readonly task: string;
  readonly network: NetworkId;
  /** Gaussian noise levels, one pass each (denoise-gray only). */
  readonly sigma?: readonly number[];
  /** Every test image (the paper's protocol) rather than the first `limit`. */
  readonly allImages: boolean;
  /** Where PSNR/SSIM are measured (the recipe's colour space). */
  readonly colorSpace: MetricColorSpace;
}

/** Default number of test images for the networks other than grey denoising. */
export const DEFAULT_EVAL_LIMIT = 50;

export interface ReportWeights {
  /** Relative to the project root when inside it. */
  readonly path: string;
  /** user (the user models folder), bundled (the project's weights/) or option (--weights-dir). */
  readonly source: string;
  readonly hash: string;
}

export interface ReportResult {
  readonly id: string;
  /** The synthetic degradation evaluated (absent in reports written before issue 17). */
  readonly degradation?: string;
  readonly task: string;
  readonly network: NetworkId;
  readonly title: string;
  readonly colorSpace: string;
  readonly weights: ReportWeights;
  readonly images: number;
  readonly engine: string;
  readonly passes: readonly EvalPass[];
  readonly clean: EvalRow;
  readonly seconds: number;
}

export interface ReportProblem {
  readonly id: string;
  readonly task: string;
  readonly network: NetworkId;
  readonly reason: string;
}

export interface EvalReport {
  readonly date: string;
  readonly wallSeconds: number;
  readonly engine: string;
  readonly data: string;
  readonly protocol: {
    readonly seed: string;
    readonly limit: number;
    readonly grayLimit: number | null;
    readonly sigmas: readonly number[];
  };
  readonly results: readonly ReportResult[];
  /** Weights not found: reported, not fatal. */
  readonly skipped: readonly ReportProblem[];
  /** Evaluations that failed for another reason (the script exits 1). */
  readonly failed: readonly ReportProblem[];
}

export function reportResult(
  entry: ProtocolEntry,
  r: EvalResult,
  weights: Omit<ReportWeights, 'hash'>,
): ReportResult {
  return {
    id: entry.id,
    ...(entry.degradation ? { degradation: entry.degradation } : {}),
    task: entry.task,
    network: entry.network,
    title: getNetwork(entry.network).title,
    colorSpace: entry.colorSpace,
    weights: { ...weights, hash: r.weightsHash },
    images: r.images,
    engine: r.engine,
    passes: r.passes,
    clean: r.clean,
    seconds: r.seconds,
  };
}

const SPACE_NAME: Record<string, string> = { gray: 'grey', rgb: 'RGB', y: 'Y of YCbCr' };

/** A Markdown table with padded columns (as the repository's Markdown is written). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => `| ${widths.map((w, i) => (r[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const db = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '∞');
const ss = (v: number) => v.toFixed(4);

/** Rows in reading order: degraded input, baselines, durn, durn on clean photos. */
function resultTable(r: ReportResult): string {
  const first = r.passes[0]!.rows;
  const order = [
    ...first.filter((row) => row.kind === 'input'),
    ...first.filter((row) => row.kind === 'baseline'),
    ...first.filter((row) => row.kind === 'network'),
  ].map((row) => row.method);
  const label = (row: EvalRow) => (row.kind === 'network' ? `durn (${r.title})` : row.method);
  const several = r.passes.length > 1 || r.passes[0]!.sigma !== undefined;
  const header = [
    'method',
    ...r.passes.flatMap((p) =>
      several ? [`σ=${p.sigma} PSNR (dB)`, `σ=${p.sigma} SSIM`] : ['PSNR (dB)', 'SSIM'],
    ),
  ];
  const rows = order.map((method) => {
    const cells = r.passes.map((p) => p.rows.find((row) => row.method === method)!);
    return [label(cells[0]!), ...cells.flatMap((c) => [db(c.psnr), ss(c.ssim)])];
  });
  const cleanLabel = `durn (${r.title}) on clean photos${several ? ' (no noise; every σ)' : ''}`;
  rows.push([cleanLabel, ...r.passes.flatMap(() => [db(r.clean.psnr), ss(r.clean.ssim)])]);
  return markdownTable(header, rows);
}

function describe(r: ReportResult, data: string): string {
  const noise = r.passes[0]!.sigma !== undefined;
  const what = noise
    ? `additive Gaussian noise σ ${r.passes.map((p) => p.sigma).join(', ')} (unclipped)`
    : `synthetic ${r.degradation ?? r.id} degradation`;
  return (
    `${r.images} image(s) of \`${data}\`, ${what}; PSNR/SSIM in ${SPACE_NAME[r.colorSpace] ?? r.colorSpace}. ` +
    `Weights \`${r.weights.path}\` (${r.weights.source}, sha256 \`${r.weights.hash.slice(0, 12)}…\`), ` +
    `${r.engine}, ${r.seconds.toFixed(0)} s.`
  );
}

/** The degradation's name where a network is evaluated on several (colour denoising). */
const named = (r: ReportResult) =>
  r.degradation !== undefined && r.degradation !== r.id ? ` ${r.degradation}` : '';

const pair = (row: EvalRow) => `${db(row.psnr)} / ${row.ssim.toFixed(3)}`;

/**
 * One line per plugin (per σ for grey denoising), PSNR / SSIM: the degraded input, the best
 * classical baseline, durn, and durn on the clean photos. The README's quality table.
 */
export function renderSummaryTable(report: EvalReport): string {
  const rows = report.results.flatMap((r) =>
    r.passes.map((p) => {
      const input = p.rows.find((row) => row.kind === 'input')!;
      const net = p.rows.find((row) => row.kind === 'network')!;
      const baselines = p.rows.filter((row) => row.kind === 'baseline');
      const best = baselines.reduce<EvalRow | undefined>(
        (a, b) => (a && a.psnr >= b.psnr ? a : b),
        undefined,
      );
      return [
        `${r.task} (\`${r.network}\`)${p.sigma !== undefined ? ` σ=${p.sigma}` : ''}${named(r)}`,
        String(r.images),
        pair(input),
        best ? `${pair(best)} (${best.method})` : '—',
        pair(net),
        `${db(net.psnr - input.psnr)} dB`,
        pair(r.clean),
      ];
    }),
  );
  return markdownTable(
    ['plugin', 'images', 'degraded input', 'best classical baseline', 'durn', 'gain', 'durn on clean photos'],
    rows,
  );
}

export function renderEvalMarkdown(report: EvalReport): string {
  const p = report.protocol;
  const out = [
    '# durn quality evaluation',
    '',
    `Written by \`npm run eval\` on ${report.date.slice(0, 10)} in ${(report.wallSeconds / 60).toFixed(1)} min ` +
      `(${report.engine}). Degradations are synthesised by durn's own code with seed \`${p.seed}\` forked per ` +
      `image (and per σ), so a rerun gives the same numbers. Grey denoising: ${p.grayLimit ?? 'all'} test images ` +
      `at σ ${p.sigmas.join(', ')}; the other networks: the first ${p.limit}. All numbers are in eval.json.`,
    '',
    'PSNR (dB) / SSIM; "on clean photos" compares durn\'s output for an undamaged photo with that photo.',
    '',
    renderSummaryTable(report),
  ];
  for (const r of report.results) {
    out.push(
      '',
      `## ${r.id}: ${r.title} (\`${r.network}\`)`,
      '',
      describe(r, report.data),
      '',
      resultTable(r),
    );
  }
  const problems = [
    ...report.skipped.map((s) => `- ${s.id} (${s.network}): skipped, ${s.reason}`),
    ...report.failed.map((s) => `- ${s.id} (${s.network}): failed, ${s.reason}`),
  ];
  if (problems.length > 0) out.push('', '## Not evaluated', '', ...problems);
  return `${out.join('\n')}\n`;
}
