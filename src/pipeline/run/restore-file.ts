/**
 * One photo, start to finish: decode (orientation, ICC → sRGB, 16-bit kept), run the chain,
 * encode in the input's format/profile/depth (or as asked), write to a temp file in the
 * destination folder, copy every metadata group from the original onto it, then rename. The
 * original is only ever read.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { DurnUserError } from '../../core/errors.ts';
import { ensureDir, outputExistsError, writeFileAtomic } from '../../core/fs/atomic.ts';
import { VERSION } from '../../core/version.ts';
import { getNetwork } from '../../models/networks/index.ts';
import type { RunEventListener } from '../events.ts';
import { decodeSource } from '../image/decode.ts';
import { createEncoder, defaultEncodeOptions } from '../image/encode.ts';
import type { OutputFormat } from '../image/types.ts';
import { copyMetadata, type Provenance } from '../metadata/copy.ts';
import type { TilePool } from '../pool/pool.ts';
import type { Gate } from './gate.ts';
import { formatOfPath, imageExtension } from './outputs.ts';
import { checkBitDepth } from './preflight.ts';
import { type ResolvedStep, restoreTensorTo, type TilingOverride } from './restore-tensor.ts';

export interface FileOptions {
  readonly format?: OutputFormat;
  readonly quality?: number;
  readonly bitDepth?: 8 | 16;
  readonly overwrite?: boolean;
  readonly maxPixels?: number;
  readonly tiling?: TilingOverride;
  /** Options recorded in the provenance (preset name, strength, tiling…). */
  readonly recordedOptions?: Readonly<Record<string, unknown>>;
}

export interface FileContext {
  readonly pool: TilePool;
  readonly emit: RunEventListener;
  readonly signal?: AbortSignal;
  readonly gate?: Gate;
}

const hashes = new Map<string, Promise<string>>();

/** SHA-256 of a weights file, computed once per path, size and mtime. */
export async function fileSha256(path: string): Promise<string> {
  const s = await stat(path);
  const key = `${path}:${s.size}:${s.mtimeMs}`;
  let h = hashes.get(key);
  if (!h) {
    h = (async () => {
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
      return hash.digest('hex');
    })();
    hashes.set(key, h);
  }
  return h;
}

export async function restoreFile(
  input: string,
  output: string,
  steps: readonly ResolvedStep[],
  opts: FileOptions,
  ctx: FileContext,
): Promise<{ output: string; bytesIn: number; bytesOut: number; megapixels: number }> {
  const inStat = await stat(input);
  const outStat = await stat(output).catch(() => null);
  // The original is only ever read: not through the same path, a relative path or a hard link.
  if (
    resolve(input) === resolve(output) ||
    (outStat && outStat.ino === inStat.ino && outStat.dev === inStat.dev)
  ) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected an output other than the input for ${input} but received ${output}, which is the input itself`,
      { file: input, hint: 'durn never replaces the photo it restores: choose another output path' },
    );
  }
  // Everything that can refuse the file is checked before the network runs.
  if (outStat && !opts.overwrite) throw outputExistsError(output);
  // The output's extension picks its format (a PNG restored to `x.jpg` is written as JPEG).
  const format = opts.format ?? (imageExtension(output) ? formatOfPath(output) : undefined);
  if (format) checkBitDepth(opts.bitDepth, format, `the output ${output}`);
  const bytesIn = inStat.size;
  // Samples stay as decoded (1–2 bytes each); tiles and bands are converted to float as they are cut.
  const decoded = await decodeSource(
    input,
    opts.maxPixels === undefined ? {} : { maxPixels: opts.maxPixels },
  );
  // Decoded by content; a name that says otherwise is worth a word (the output follows its own name).
  const named = imageExtension(input) ? formatOfPath(input) : null;
  const held = decoded.format;
  if (named && held !== 'gif' && named !== held) {
    ctx.emit({
      type: 'notice',
      message: `${input} holds ${held.toUpperCase()} data under a ${extname(input)} name; read as ${held.toUpperCase()}`,
    });
  }
  const channels = decoded.source.channels === 1 ? 1 : 3;
  const networks = steps.map((s) => getNetwork(s.plugin.networkFor({ channels })));
  ctx.emit({
    type: 'file-start',
    file: input,
    width: decoded.width,
    height: decoded.height,
    steps: steps.map((s, i) => ({ task: s.plugin.id, network: networks[i]!.id })),
  });
  const encodeOpts = defaultEncodeOptions(decoded, format);
  // Restored rows are encoded as they leave the stitcher: the full float result is never held.
  const encoder = createEncoder(
    { width: decoded.width, height: decoded.height, channels: decoded.source.channels, alpha: decoded.alpha },
    {
      ...encodeOpts,
      ...(opts.quality === undefined ? {} : { quality: opts.quality }),
      ...(opts.bitDepth === undefined ? {} : { bitDepth: opts.bitDepth }),
    },
  );
  await restoreTensorTo(
    decoded.source,
    steps,
    {
      pool: ctx.pool,
      file: input,
      emit: ctx.emit,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.gate ? { gate: ctx.gate } : {}),
      ...(opts.tiling ? { tiling: opts.tiling } : {}),
    },
    (rows, y) => encoder.writeRows(rows, y),
  );
  const provenance: Provenance = {
    software: 'durn',
    version: VERSION,
    tasks: steps.map((s) => s.plugin.id),
    options: { ...opts.recordedOptions, steps: steps.map((s) => ({ task: s.plugin.id, ...s.options })) },
    weights: await Promise.all(
      steps.map(async (s, i) => ({
        network: networks[i]!.id,
        sha256: await fileSha256(s.weights[networks[i]!.id]!),
      })),
    ),
  };
  if (ctx.signal?.aborted) throw new DurnUserError('ABORTED', 'The run was cancelled');
  await ensureDir(dirname(output));
  await writeFileAtomic(
    output,
    async (temp) => {
      await encoder.finishTo(temp); // encoded straight into the file, never held whole
      await copyMetadata(input, temp, { provenance });
    },
    { overwrite: opts.overwrite ?? false },
  );
  return {
    output,
    bytesIn,
    bytesOut: (await stat(output)).size,
    megapixels: (decoded.width * decoded.height) / 1e6,
  };
}
