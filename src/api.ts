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
import { DurnUserError } from './core/errors.ts';
import type { DeviceChoice } from './models/engines/types.ts';
import type { RunEvent } from './pipeline/events.ts';
import { decodeImage } from './pipeline/image/decode.ts';
import { defaultEncodeOptions, encodeImage } from './pipeline/image/encode.ts';
import type { OutputFormat } from './pipeline/image/types.ts';
import { TilePool } from './pipeline/pool/pool.ts';
import { Gate } from './pipeline/run/gate.ts';
import { parseRestoreOptions } from './pipeline/run/options.ts';
import { restoreFile } from './pipeline/run/restore-file.ts';
import { type ResolvedStep, restoreTensor } from './pipeline/run/restore-tensor.ts';
import { resolveSteps } from './pipeline/run/run.ts';

export interface RestorerOptions {
  readonly task?: string;
  readonly preset?: string;
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
  restore(input: RestoreInput, options?: RestoreCallOptions): Promise<Buffer>;
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
  const o = parseRestoreOptions({ inputs: ['-'], ...stripUndefined(rest) });
  const steps: ResolvedStep[] = resolveSteps(o);
  const pool = new TilePool({
    ...(o.workers ? { workers: o.workers } : {}),
    engine: o.engine ?? 'auto',
    device: o.device ?? 'auto',
    ...(o.precision ? { precision: o.precision } : {}),
    ...(options.onNotice ? { onNotice: options.onNotice } : {}),
  });
  const tiling = {
    ...(o.tile ? { tile: o.tile } : {}),
    ...(o.overlap !== undefined ? { overlap: o.overlap } : {}),
  };

  async function restore(input: RestoreInput, call: RestoreCallOptions = {}): Promise<Buffer | string> {
    const emit = call.onProgress ?? (() => {});
    const source = await toBufferOrPath(input);
    const ctx = { pool, emit, gate: new Gate(), ...(call.signal ? { signal: call.signal } : {}) };
    const fileOpts = {
      ...(call.format ? { format: call.format } : {}),
      ...(call.quality ? { quality: call.quality } : {}),
      ...(call.bitDepth ? { bitDepth: call.bitDepth } : {}),
      overwrite: call.overwrite ?? false,
      ...(o.maxPixels ? { maxPixels: o.maxPixels } : {}),
      tiling,
    };
    if (call.output !== undefined || call.metadata !== false) {
      // Through files, so metadata is copied by the same code as the CLI's.
      const tmp = typeof source === 'string' ? null : await mkdtemp(join(tmpdir(), 'durn-api-'));
      try {
        const inPath = typeof source === 'string' ? source : join(tmp!, `input.${await extensionOf(source)}`);
        if (tmp) await writeFile(inPath, source as Buffer);
        const outPath = call.output ?? join(tmp ?? (await mkdtemp(join(tmpdir(), 'durn-api-'))), 'output');
        const target = call.output ?? `${outPath}.${call.format ?? (await extensionOf(inPath))}`;
        await restoreFile(inPath, target, steps, fileOpts, ctx);
        if (call.output !== undefined) return call.output;
        const buf = await readFile(target);
        if (!tmp) await rm(join(target, '..'), { recursive: true, force: true });
        return buf;
      } finally {
        if (tmp) await rm(tmp, { recursive: true, force: true });
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

  return { restore: restore as Restorer['restore'], close: () => pool.close() };
}

/** One-shot convenience: creates a restorer, restores, closes it. */
export async function restore(
  input: RestoreInput,
  options: RestorerOptions & RestoreCallOptions,
): Promise<Buffer | string> {
  // Per-call options are not restorer options (the strict options schema would refuse them).
  const { output: _o, metadata: _m, signal: _s, onProgress: _p, ...restorerOptions } = options;
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

async function extensionOf(source: Buffer | string): Promise<string> {
  const sharp = (await import('sharp')).default;
  const format = (await sharp(source).metadata()).format;
  return format === 'jpeg' ? 'jpg' : format === 'heif' ? 'heic' : (format ?? 'bin');
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
