/** The options of a restoration run (`durn restore`, `restore()`, the TUI), validated with zod. */
import { z } from 'zod';
import { parseWith } from '../../core/validation.ts';
import { deviceSchema } from '../../models/engines/index.ts';
import type { TilingOverride } from './restore-tensor.ts';

export const OUTPUT_FORMAT_NAMES = ['jpeg', 'png', 'webp', 'tiff', 'avif', 'heif'] as const;

/** Formats durn writes (HEIC is read, and written as AVIF). */
const WRITABLE = ['jpeg', 'png', 'webp', 'tiff', 'avif'] as const;

const formatAliases: Record<string, (typeof OUTPUT_FORMAT_NAMES)[number]> = {
  jpg: 'jpeg',
  tif: 'tiff',
  heic: 'heif',
};

/** An output format by name, aliases (jpg, tif, heic) and any case accepted. */
export const OutputFormatSchema = z
  .string()
  .transform((f) => formatAliases[f.toLowerCase()] ?? f.toLowerCase())
  .pipe(z.enum(OUTPUT_FORMAT_NAMES, { error: `one of ${WRITABLE.join(', ')}` }))
  .refine((f) => f !== 'heif', {
    // HEIC means HEVC, which this sharp build cannot encode; AV1 under .heic would mislabel AVIF.
    error: `one of ${WRITABLE.join(', ')} (HEIC needs an HEVC encoder sharp does not ship; use avif)`,
  });

export const RestoreOptionsSchema = z
  .object({
    inputs: z.array(z.string().min(1)).min(1),
    task: z.string().min(1).optional(),
    preset: z.string().min(1).optional(),
    outDir: z.string().min(1).optional(),
    /** A name part, never a path: a suffix with a separator or `..` could write anywhere. */
    suffix: z
      .string()
      .refine((v) => !/[/\\\0]/.test(v) && !v.includes('..'), {
        error: 'a suffix without path separators or ".."',
      })
      .optional(),
    format: OutputFormatSchema.optional(),
    quality: z.number().int().min(1).max(100).optional(),
    bitDepth: z.union([z.literal(8), z.literal(16)]).optional(),
    overwrite: z.boolean().optional(),
    workers: z.number().int().min(1).max(256).optional(),
    engine: z.enum(['auto', 'onnx', 'tfjs', 'torch']).optional(),
    device: deviceSchema.optional(),
    precision: z.enum(['fp32', 'bf16']).optional(),
    /** Weights file for every task (key "*") or per task id. */
    weights: z.record(z.string(), z.string().min(1)).optional(),
    tile: z.number().int().min(16).max(16384).optional(),
    overlap: z.number().int().min(0).max(4096).optional(),
    /** Memory for the tiles in flight, in MB (default: a quarter of free RAM, 448 MB to 2 GB). */
    tileMemory: z
      .number()
      .int()
      .min(64)
      .max(1024 * 1024)
      .optional(),
    maxPixels: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((o) => (o.task === undefined) !== (o.preset === undefined), {
    message: 'exactly one of task or preset',
    path: ['task'],
  });

export type RestoreOptions = z.input<typeof RestoreOptionsSchema>;
export type ParsedRestoreOptions = z.output<typeof RestoreOptionsSchema>;

export function parseRestoreOptions(value: unknown, what = 'the restore options'): ParsedRestoreOptions {
  return parseWith(RestoreOptionsSchema, value, what);
}

/** The tiling a run, a watch and a restorer take from their options (one place, so none drops one). */
export function tilingOf(o: ParsedRestoreOptions): TilingOverride {
  return {
    ...(o.tile ? { tile: o.tile } : {}),
    ...(o.overlap !== undefined ? { overlap: o.overlap } : {}),
    ...(o.tileMemory ? { tileMemory: o.tileMemory * 2 ** 20 } : {}),
  };
}
