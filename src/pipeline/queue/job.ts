/**
 * A distributed restore job: what one worker needs to restore one file, as plain data in Redis.
 * Paths and hashes only (never image bytes, never weights, never anything to execute). Every job
 * a worker takes is validated here before it touches a file: a job written by hand into Redis
 * goes through the same checks as one `durn restore --queue` enqueued.
 */
import { createHash } from 'node:crypto';
import { extname, isAbsolute, normalize, posix } from 'node:path';
import { z } from 'zod';
import { DurnUserError } from '../../core/errors.ts';
import { parseWith } from '../../core/validation.ts';
import type { NetworkId } from '../../models/graph/types.ts';
import { getPlugin, taskIds } from '../../plugins/registry.ts';
import type { BaseTaskOptions } from '../../plugins/types.ts';
import { MAX_STEPS, PRESET_NAME } from '../presets/preset.ts';
import { isIgnoredName, isImageName } from '../run/inputs.ts';
import { parseRestoreOptions } from '../run/options.ts';

/** BullMQ queue name (keys `bull:durn-restore:*`). */
export const QUEUE_NAME = 'durn-restore';
export const JOB_NAME = 'restore';
export const JOB_VERSION = 1;

const SHA256 = /^[0-9a-f]{64}$/;
const sha256 = z.string().regex(SHA256, { error: 'a SHA-256 in lower-case hex' });
export const BATCH_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** An absolute, normalised path: no `..`, no `.`, no doubled separators, no NUL. */
const absolutePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => isAbsolute(p) && !p.includes('\0') && normalize(p) === p && !p.endsWith('/'), {
    error: 'an absolute, normalised path (no "..")',
  });

/** A path inside the output folder: relative, forward slashes, no `..` or `.` segments, an image name. */
const relativeOutput = z
  .string()
  .min(1)
  .max(1024)
  .refine(
    (p) =>
      !p.includes('\0') &&
      !p.includes('\\') &&
      !posix.isAbsolute(p) &&
      p.split('/').every((s) => s !== '' && s !== '.' && s !== '..') &&
      !p.split('/').some(isIgnoredName) &&
      isImageName(p),
    { error: 'a relative image path inside the output folder (no "..", no hidden names)' },
  );

const fileName = z
  .string()
  .min(1)
  .max(255)
  .refine((n) => !n.includes('/') && !n.includes('\\') && n !== '..' && !n.includes('\0'), {
    error: 'a file name',
  });

/** A network id (the six, or a plugin's own); parseJob checks it belongs to the step's task. */
const networkId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'a network id' });

const stepSchema = z
  .object({
    task: z.string().refine((t) => taskIds().includes(t), { error: () => `one of ${taskIds().join(', ')}` }),
    options: z.record(z.string(), z.unknown()),
    /** Per network the step may use: the weights' SHA-256 and the file name they were found under. */
    weights: z.record(networkId, z.object({ sha256, file: fileName }).strict()),
  })
  .strict();

export const JobDataSchema = z
  .object({
    v: z.literal(JOB_VERSION),
    batch: z.string().regex(BATCH_ID, { error: 'a batch id of lower-case letters, digits and dashes' }),
    /** The photo, as every worker sees it (after the worker's --map). */
    input: absolutePath.refine(isImageName, { error: 'an image file name' }),
    contentHash: sha256,
    /** The output folder the job names; `output` lies inside it. */
    outDir: absolutePath,
    output: relativeOutput,
    steps: z.array(stepSchema).min(1).max(MAX_STEPS),
    preset: z.string().regex(PRESET_NAME).optional(),
    format: z.string().optional(),
    quality: z.number().optional(),
    bitDepth: z.number().optional(),
    tile: z.number().optional(),
    overlap: z.number().optional(),
    maxPixels: z.number().optional(),
    overwrite: z.boolean(),
    chainHash: sha256,
  })
  .strict();

export type JobData = z.output<typeof JobDataSchema>;

export interface ParsedJob extends Omit<JobData, 'steps' | 'format' | 'bitDepth'> {
  readonly steps: readonly {
    task: string;
    options: BaseTaskOptions;
    weights: Partial<Record<NetworkId, { sha256: string; file: string }>>;
  }[];
  readonly format?: 'jpeg' | 'png' | 'webp' | 'tiff' | 'avif' | 'heif';
  readonly bitDepth?: 8 | 16;
}

/**
 * Validates a job's data: the shape, then each step's options with its task's own schema and the
 * encoding/tiling numbers with the restore options schema (the same checks as the CLI's).
 * Throws DurnUserError INVALID_OPTION naming what is wrong.
 */
export function parseJob(value: unknown): ParsedJob {
  const data = parseWith(JobDataSchema, value, 'the job');
  const steps = data.steps.map((s, i) => ({
    task: s.task,
    weights: s.weights,
    options: parseWith(getPlugin(s.task).options, s.options, `${s.task} options`, undefined, [
      'steps',
      i,
      'options',
    ]),
  }));
  for (const [i, s] of steps.entries()) {
    if (
      Object.keys(s.weights).length === 0 ||
      Object.keys(s.weights).some((n) => !getPlugin(s.task).networks.includes(n as NetworkId))
    ) {
      throw new DurnUserError(
        'INVALID_OPTION',
        `Expected weights for the networks of ${s.task} (${getPlugin(s.task).networks.join(', ')}) for steps[${i}].weights but received ${Object.keys(s.weights).join(', ') || 'none'}`,
      );
    }
  }
  // Numbers and format through the restore options schema: same ranges and names as the CLI.
  const o = parseRestoreOptions({
    inputs: [data.input],
    task: steps[0]!.task,
    ...(data.format !== undefined ? { format: data.format } : {}),
    ...(data.quality !== undefined ? { quality: data.quality } : {}),
    ...(data.bitDepth !== undefined ? { bitDepth: data.bitDepth } : {}),
    ...(data.tile !== undefined ? { tile: data.tile } : {}),
    ...(data.overlap !== undefined ? { overlap: data.overlap } : {}),
    ...(data.maxPixels !== undefined ? { maxPixels: data.maxPixels } : {}),
  });
  const outExt = extname(data.output).toLowerCase();
  if (o.format === undefined && outExt !== extname(data.input).toLowerCase()) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected the input's extension ${extname(data.input)} for the output (no format given) but received ${JSON.stringify(data.output)}`,
    );
  }
  const { format: _f, bitDepth: _b, steps: _s, ...rest } = data;
  return {
    ...rest,
    steps,
    ...(o.format !== undefined ? { format: o.format } : {}),
    ...(o.bitDepth !== undefined ? { bitDepth: o.bitDepth } : {}),
  };
}

/** Hash of what determines a result: steps, options, weights' content, encoding. */
export function chainHashOf(d: {
  readonly steps: readonly {
    task: string;
    options: unknown;
    weights: Partial<Record<string, { sha256: string }>>;
  }[];
  readonly format?: string | undefined;
  readonly quality?: number | undefined;
  readonly bitDepth?: number | undefined;
  readonly tile?: number | undefined;
  readonly overlap?: number | undefined;
}): string {
  const parts = d.steps.map((s) => ({
    task: s.task,
    options: s.options,
    weights: Object.entries(s.weights)
      .map(([n, w]) => [n, w!.sha256])
      .sort(),
  }));
  const encoding = { format: d.format ?? null, quality: d.quality ?? null, bitDepth: d.bitDepth ?? null };
  const tiling = { tile: d.tile ?? null, overlap: d.overlap ?? null };
  return createHash('sha256').update(JSON.stringify({ parts, encoding, tiling })).digest('hex');
}

/**
 * The job id: content × chain. A file submitted again (by anyone, under any name) with the same
 * chain is the same job, so BullMQ keeps one and it is restored once. Not only digits (BullMQ
 * reserves those) and no ':'.
 */
export function jobIdOf(contentHash: string, chainHash: string): string {
  if (!SHA256.test(contentHash) || !SHA256.test(chainHash))
    throw new DurnUserError('INVALID_OPTION', 'Expected SHA-256 hashes for the job id');
  return `r${createHash('sha256').update(`${contentHash}×${chainHash}`).digest('hex').slice(0, 40)}`;
}

/** `--map from=to` (repeatable): path prefixes rewritten, longest first, at folder boundaries. */
export interface PathMap {
  readonly from: string;
  readonly to: string;
}

export function mapPath(path: string, maps: readonly PathMap[]): string {
  const sorted = [...maps].sort((a, b) => b.from.length - a.from.length);
  for (const m of sorted) {
    if (path === m.from) return m.to;
    const prefix = m.from === '/' ? '/' : `${m.from}/`;
    if (path.startsWith(prefix)) return normalize(`${m.to}/${path.slice(prefix.length)}`);
  }
  return path;
}

/** Whether `path` is `dir` or inside it (both absolute and normalised). */
export function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}
