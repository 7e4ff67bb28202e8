/**
 * durn as a library: restore a photo given as a Buffer, a file path or a sharp instance, to a
 * Buffer or a file, with the same options, progress and cancellation as the CLI.
 *
 *   import { createRestorer } from 'durn';
 *   const restorer = createRestorer({ task: 'denoise' });
 *   const out = await restorer.restore(await readFile('noisy.jpg'));   // Buffer → Buffer
 *   await restorer.restore('scan.tif', { output: 'scan-clean.tif' });  // file → file
 *   await restorer.close();
 *
 * A restorer keeps its worker pool (and the networks loaded in it) between calls.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sharp } from 'sharp';
import { z } from 'zod';
import { DurnUserError, describe } from './core/errors.ts';
import { parseWith } from './core/validation.ts';
import type { DeviceChoice } from './models/engines/types.ts';
import type { RunEvent } from './pipeline/events.ts';
import { decodeImage, probeFormat } from './pipeline/image/decode.ts';
import { defaultEncodeOptions, encodeImage } from './pipeline/image/encode.ts';
import type { InputFormat, OutputFormat } from './pipeline/image/types.ts';
import { holdMetadata } from './pipeline/metadata/exiftool.ts';
import { TilePool } from './pipeline/pool/pool.ts';
import { Gate } from './pipeline/run/gate.ts';
import { OutputFormatSchema, parseRestoreOptions, tilingOf } from './pipeline/run/options.ts';
import { checkBitDepth, checkTiling, checkWeights } from './pipeline/run/preflight.ts';
import { restoreFile } from './pipeline/run/restore-file.ts';
import { type ResolvedStep, restoreTensor } from './pipeline/run/restore-tensor.ts';
import { resolveSteps } from './pipeline/run/run.ts';

/** The tasks durn ships (a test keeps this list equal to the plugins it finds). */
export type TaskName = 'denoise' | 'deblur' | 'dehaze' | 'raindrop' | 'derain';
/** The presets durn ships: one per task plus three chains. */
export type BuiltInPresetName = TaskName | 'hazy-and-noisy' | 'rainy-window' | 'night-shot';
/** A built-in preset, or one of your own (`~/.config/durn/presets`) by name. */
export type PresetName = BuiltInPresetName | (string & {});

export interface RestorerOptions {
  readonly task?: TaskName;
  readonly preset?: PresetName;
  readonly weights?: Record<string, string>;
  readonly workers?: number;
  readonly engine?: 'auto' | 'onnx' | 'tfjs' | 'torch';
  readonly device?: DeviceChoice;
  readonly precision?: 'fp32' | 'bf16';
  readonly tile?: number;
  readonly overlap?: number;
  readonly maxPixels?: number;
  /** Told about engine/device fallbacks, once each. */
  readonly onNotice?: (message: string) => void;
}

export interface RestoreCallOptions {
  /** Write the result to this file (atomically, metadata copied) instead of returning a Buffer. */
  readonly output?: string;
  readonly format?: OutputFormat;
  readonly quality?: number;
  readonly bitDepth?: 8 | 16;
  readonly overwrite?: boolean;
  /** Copy EXIF/XMP/IPTC/ICC from the input onto a Buffer result too (default true). */
  readonly metadata?: boolean;
  readonly signal?: AbortSignal;
  /** Progress: the same events `durn restore --json` prints. */
  readonly onProgress?: (event: RunEvent) => void;
}

export type RestoreInput = Buffer | string | Sharp;

export interface Restorer {
  restore(input: RestoreInput, options: RestoreCallOptions & { output: string }): Promise<string>;
  restore(input: RestoreInput, options?: RestoreCallOptions & { output?: undefined }): Promise<Buffer>;
  /** An output known only at run time: a path when given, else a Buffer. */
  restore(input: RestoreInput, options: RestoreCallOptions): Promise<Buffer | string>;
  close(): Promise<void>;
}

async function toBufferOrPath(input: RestoreInput): Promise<Buffer | string> {
  if (typeof input === 'string' || Buffer.isBuffer(input)) return input;
  if (input && typeof (input as Sharp).toBuffer === 'function') {
    // The sharp instance's pending operations apply; keep metadata so orientation and ICC survive.
    return (input as Sharp).keepMetadata().toBuffer();
  }
  throw new DurnUserError(
    'INVALID_INPUT',
    'Expected a Buffer, a file path or a sharp instance for input but received something else',
  );
}

export function createRestorer(options: RestorerOptions): Restorer {
  const { onNotice: _notice, ...rest } = options;
  const o = parseRestoreOptions({ inputs: ['-'], ...stripUndefined(rest) }, 'the restorer options');
  const steps: ResolvedStep[] = resolveSteps(o);
  const tiling = tilingOf(o);
  checkTiling(steps, tiling);
  // Weights are read once, before the first photo; a bad file fails every call with its error.
  const ready = checkWeights(steps);
  ready.catch(() => {});
  const pool = new TilePool({
    ...(o.workers ? { workers: o.workers } : {}),
    ...(o.engine ? { engine: o.engine } : {}),
    ...(o.device ? { device: o.device } : {}),
    ...(o.precision ? { precision: o.precision } : {}),
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
  });
  const release = holdMetadata();

  async function restore(input: RestoreInput, given: RestoreCallOptions = {}): Promise<Buffer | string> {
    const call = parseCallOptions(given);
    await ready;
    const emit = call.onProgress ?? (() => {});
    const source = await toBufferOrPath(input);
    const ctx = { pool, emit, gate: new Gate(), ...(call.signal ? { signal: call.signal } : {}) };
    if (call.format) checkBitDepth(call.bitDepth, call.format, 'the format asked for');
    const fileOpts = {
      ...(call.format ? { format: call.format } : {}),
      ...(call.quality ? { quality: call.quality } : {}),
      ...(call.bitDepth ? { bitDepth: call.bitDepth } : {}),
      overwrite: call.overwrite ?? false,
      ...(o.maxPixels ? { maxPixels: o.maxPixels } : {}),
      tiling,
    };
    if (call.output !== undefined || call.metadata !== false) {
      // Through files, so metadata is copied by the same code as the CLI's. One temp folder per
      // call, removed whatever happens.
      const tmp = await mkdtemp(join(tmpdir(), 'durn-api-'));
      try {
        const inFormat = await probeFormat(source, typeof source === 'string' ? source : '<buffer>');
        const inPath =
          typeof source === 'string'
            ? source
            : join(tmp, `input${inFormat === 'gif' ? '.gif' : EXTENSION[inFormat]}`);
        if (typeof source !== 'string') await writeFile(inPath, source);
        const target = call.output ?? join(tmp, `output${EXTENSION[call.format ?? outputOf(inFormat)]}`);
        await restoreFile(inPath, target, steps, fileOpts, ctx);
        return call.output ?? (await readFile(target));
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    const decoded = await decodeImage(source, o.maxPixels ? { maxPixels: o.maxPixels } : {});
    const pixels = await restoreTensor(decoded.pixels, steps, { ...ctx, file: '<buffer>', tiling });
    return encodeImage(
      { pixels, alpha: decoded.alpha },
      {
        ...defaultEncodeOptions(decoded, call.format),
        ...(call.quality ? { quality: call.quality } : {}),
        ...(call.bitDepth ? { bitDepth: call.bitDepth } : {}),
      },
    );
  }

  return {
    restore: restore as Restorer['restore'],
    close: async () => {
      await pool.close();
      await release();
    },
  };
}

/** One-shot convenience: creates a restorer, restores, closes it. */
export function restore(
  input: RestoreInput,
  options: RestorerOptions & RestoreCallOptions & { output: string },
): Promise<string>;
export function restore(
  input: RestoreInput,
  options: RestorerOptions & RestoreCallOptions & { output?: undefined },
): Promise<Buffer>;
export function restore(
  input: RestoreInput,
  options: RestorerOptions & RestoreCallOptions,
): Promise<Buffer | string>;
export async function restore(
  input: RestoreInput,
  options: RestorerOptions & RestoreCallOptions,
): Promise<Buffer | string> {
  if (typeof options !== 'object' || options === null) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected an object with a task or a preset for the options of restore() but received ${describe(options)}`,
      { hint: "e.g. restore(photo, { task: 'denoise' })" },
    );
  }
  // Per-call options are not restorer options (the strict options schema would refuse them).
  const {
    output: _o,
    metadata: _m,
    signal: _s,
    onProgress: _p,
    format: _f,
    quality: _q,
    bitDepth: _b,
    overwrite: _w,
    ...restorerOptions
  } = options;
  const restorer = createRestorer(restorerOptions);
  try {
    return await (restorer.restore as (i: RestoreInput, o: RestoreCallOptions) => Promise<Buffer | string>)(
      input,
      options,
    );
  } finally {
    await restorer.close();
  }
}

const EXTENSION: Record<OutputFormat, string> = {
  jpeg: '.jpg',
  png: '.png',
  webp: '.webp',
  tiff: '.tif',
  avif: '.avif',
  heif: '.heic',
};

/** GIF is read but written as PNG (lossless, keeps alpha). */
function outputOf(format: InputFormat): OutputFormat {
  return format === 'gif' ? 'png' : format;
}

const CallOptionsSchema = z
  .object({
    output: z.string().min(1).optional(),
    format: OutputFormatSchema.optional(),
    quality: z.number().int().min(1).max(100).optional(),
    bitDepth: z.union([z.literal(8), z.literal(16)]).optional(),
    overwrite: z.boolean().optional(),
    metadata: z.boolean().optional(),
    signal: z.instanceof(AbortSignal).optional(),
    onProgress: z.custom<(event: RunEvent) => void>((v) => typeof v === 'function', 'a function').optional(),
  })
  .passthrough();

function parseCallOptions(value: unknown): RestoreCallOptions {
  const parsed = parseWith(CallOptionsSchema, value ?? {}, 'the restore call options');
  return parsed as RestoreCallOptions;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
