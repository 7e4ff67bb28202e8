/**
 * durn's weights files: safetensors (8-byte little-endian header length, a JSON header, raw
 * little-endian data) with durn's metadata in `__metadata__`. Output is deterministic: tensors in
 * sorted order, metadata keys sorted, no timestamps. Loading checks the header strictly (offsets
 * contiguous and within the file) and, given an architecture, every name, shape and dtype.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DurnUserError, fsReason } from '../../core/errors.ts';
import { writeFileAtomic } from '../../core/fs/atomic.ts';
import type { NetworkId } from '../graph/types.ts';
import { isNetworkId, networkIds } from '../networks/index.ts';
import { decodeFloat16Array, encodeFloat16Array } from './float16.ts';
import type { HostTensor, StateDict, Weights, WeightsMetadata } from './types.ts';
import { validateStateDict } from './validate.ts';
import { found } from './wording.ts';

export const WEIGHTS_FORMAT = 'durn-weights';
export const WEIGHTS_FORMAT_VERSION = 1;

type FileDtype = 'F32' | 'F16' | 'I64';
const BYTES: Record<FileDtype, number> = { F32: 4, F16: 2, I64: 8 };

const SaveOptions = z
  .object({ dtype: z.enum(['float32', 'float16']).default('float32'), overwrite: z.boolean().default(false) })
  .strict();

function metadataStrings(m: WeightsMetadata): Record<string, string> {
  const out: Record<string, string> = {
    arch: m.arch,
    format: WEIGHTS_FORMAT,
    format_version: String(m.formatVersion),
  };
  if (m.task !== undefined) out.task = m.task;
  if (m.provenance !== undefined) out.provenance = stableJson(m.provenance);
  if (m.metrics !== undefined) out.metrics = stableJson(m.metrics);
  return sortKeys(out);
}

/** JSON with object keys sorted at every level, so equal metadata gives equal bytes. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? sortKeys(x as Record<string, unknown>) : x,
  );
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function encodeSafetensors(weights: Weights, opts: { dtype?: 'float32' | 'float16' } = {}): Buffer {
  const half = (opts.dtype ?? 'float32') === 'float16';
  const names = [...weights.tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadataStrings(weights.metadata) };
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = weights.tensors.get(name)!;
    let bytes: Uint8Array;
    let dtype: FileDtype;
    if (t.dtype === 'int64') {
      dtype = 'I64';
      bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    } else if (half) {
      dtype = 'F16';
      const h = encodeFloat16Array(t.data as Float32Array);
      bytes = new Uint8Array(h.buffer);
    } else {
      dtype = 'F32';
      bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    }
    if (bytes.byteLength !== t.shape.reduce((a, b) => a * b, 1) * BYTES[dtype]) {
      throw new DurnUserError(
        'WEIGHTS_MISMATCH',
        found(`data matching shape [${t.shape.join(',')}]`, name, `${t.data.length} values`),
      );
    }
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (allowed by the format).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json, 'utf8'), ...chunks]);
}

const HeaderEntry = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});

function bad(source: string, what: string, hint?: string): DurnUserError {
  return new DurnUserError('WEIGHTS_MISMATCH', `${source}: ${what}`, {
    file: source,
    ...(hint ? { hint } : {}),
  });
}

function parseMetadata(meta: Record<string, string>, source: string): WeightsMetadata {
  if (meta.format !== WEIGHTS_FORMAT) {
    throw bad(
      source,
      found(
        `a durn weights file (metadata format "${WEIGHTS_FORMAT}")`,
        'the file',
        meta.format ?? 'no format',
      ),
      'Create weights with `durn models import <checkpoint.pt> --arch <id> --out <file>` or by training.',
    );
  }
  if (meta.format_version !== String(WEIGHTS_FORMAT_VERSION)) {
    throw bad(
      source,
      found(
        `format_version ${WEIGHTS_FORMAT_VERSION}`,
        'the file',
        JSON.stringify(meta.format_version ?? null),
      ),
      'The file was written by a newer durn; upgrade durn.',
    );
  }
  const arch = meta.arch;
  if (!isNetworkId(arch)) {
    throw bad(
      source,
      found(`an arch among ${networkIds().join(', ')}`, 'the metadata', JSON.stringify(arch ?? null)),
    );
  }
  const json = (key: 'provenance' | 'metrics'): Record<string, unknown> | undefined => {
    if (meta[key] === undefined) return undefined;
    try {
      const v: unknown = JSON.parse(meta[key]);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {}
    throw bad(source, found('a JSON object', `metadata ${key}`, JSON.stringify(meta[key])));
  };
  const provenance = json('provenance');
  const metrics = json('metrics');
  return {
    formatVersion: 1,
    arch: arch as NetworkId,
    ...(meta.task !== undefined ? { task: meta.task } : {}),
    ...(provenance ? { provenance } : {}),
    ...(metrics ? { metrics } : {}),
  };
}

/** Parses a durn safetensors buffer. Float16 tensors come back as float32. */
export function decodeSafetensors(buf: Buffer, source = 'the weights'): Weights {
  if (buf.length < 8) throw bad(source, found('a safetensors file', 'the file', `${buf.length} bytes`));
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(buf.length - 8) || n > 100_000_000n) {
    throw bad(
      source,
      found('a safetensors header', 'the file', `a header length of ${n} in a ${buf.length}-byte file`),
    );
  }
  const dataStart = 8 + Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.toString('utf8', 8, dataStart)) as Record<string, unknown>;
    if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error('not an object');
  } catch (err) {
    throw bad(source, `the safetensors header is not valid JSON (${(err as Error).message})`);
  }
  const metaParsed = z.record(z.string(), z.string()).safeParse(header.__metadata__ ?? {});
  if (!metaParsed.success) throw bad(source, 'the safetensors __metadata__ is not a map of strings');
  const metadata = parseMetadata(metaParsed.data, source);

  const dataLen = buf.length - dataStart;
  const spans: [number, number, string][] = [];
  const tensors: StateDict = new Map();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = HeaderEntry.safeParse(raw);
    if (!e.success) throw bad(source, `the header entry for ${name} is malformed`);
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = e.data;
    if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'I64') {
      throw bad(source, found('dtype F32, F16 or I64', name, JSON.stringify(dtype)));
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLen || end - begin !== count * BYTES[dtype]) {
      throw bad(
        source,
        `${name}: data offsets [${begin}, ${end}] do not fit shape [${shape.join(',')}] ${dtype} in ${dataLen} data bytes (the file is damaged or truncated)`,
      );
    }
    spans.push([begin, end, name]);
    tensors.set(name, decodeTensor(buf, dataStart + begin, count, dtype, shape));
  }
  // The format forbids holes and overlaps: the spans must tile the data exactly.
  spans.sort((a, b) => a[0] - b[0]);
  let expectAt = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== expectAt)
      throw bad(source, `${name}: data does not follow the previous tensor (the file is damaged)`);
    expectAt = end;
  }
  if (expectAt !== dataLen)
    throw bad(source, `${dataLen - expectAt} bytes of data belong to no tensor (the file is damaged)`);
  return { metadata, tensors };
}

function decodeTensor(buf: Buffer, at: number, count: number, dtype: FileDtype, shape: number[]): HostTensor {
  const abs = buf.byteOffset + at;
  const bytes = count * BYTES[dtype];
  // Views when aligned; a copy otherwise (e.g. an I64 after an odd-length F16 tensor).
  const aligned = (k: number): { buffer: ArrayBufferLike; offset: number } =>
    abs % k === 0
      ? { buffer: buf.buffer, offset: abs }
      : { buffer: new Uint8Array(buf.subarray(at, at + bytes)).buffer, offset: 0 };
  if (dtype === 'F32') {
    const a = aligned(4);
    return { shape, dtype: 'float32', data: new Float32Array(a.buffer, a.offset, count) };
  }
  if (dtype === 'I64') {
    const a = aligned(8);
    return { shape, dtype: 'int64', data: new BigInt64Array(a.buffer, a.offset, count) };
  }
  const a = aligned(2);
  return { shape, dtype: 'float32', data: decodeFloat16Array(new Uint16Array(a.buffer, a.offset, count)) };
}

export async function saveWeights(
  path: string,
  weights: Weights,
  opts: { dtype?: 'float32' | 'float16'; overwrite?: boolean } = {},
): Promise<void> {
  const parsed = SaveOptions.safeParse(opts);
  if (!parsed.success) {
    throw new DurnUserError(
      'INVALID_OPTION',
      found(
        '{ dtype?: "float32" | "float16", overwrite?: boolean }',
        'the save options',
        JSON.stringify(opts),
      ),
    );
  }
  await writeFileAtomic(path, encodeSafetensors(weights, { dtype: parsed.data.dtype }), {
    overwrite: parsed.data.overwrite ?? false,
  });
}

/**
 * Loads a durn weights file and validates it against `arch` (or the arch its metadata names).
 * `unused` lists extra keys the reference carries that the network ignores.
 */
export async function loadWeights(path: string, arch?: NetworkId): Promise<Weights & { unused: string[] }> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DurnUserError(
      missing ? 'WEIGHTS_MISSING' : 'IO',
      `Expected a weights file (.safetensors) for ${path} but received ${fsReason(err)}`,
      {
        file: path,
        cause: err,
      },
    );
  }
  const weights = decodeSafetensors(buf, path);
  if (arch !== undefined && weights.metadata.arch !== arch) {
    throw bad(path, found(`weights for ${arch}`, 'the file', `weights for ${weights.metadata.arch}`));
  }
  const { unused } = validateStateDict(weights.metadata.arch, weights.tensors, path);
  return { ...weights, unused };
}
