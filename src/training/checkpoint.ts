/**
 * Training checkpoints: one safetensors file (readable by any safetensors tool) holding the flat
 * parameters, running statistics, Adam moments, EMA and best weights as F32 tensors, and the run
 * state (config, step, Adam step count, counters, history, best metrics, RNG description) as JSON
 * in `__metadata__.durn_checkpoint`. Written atomically, so an interrupted save leaves the previous
 * checkpoint intact.
 */
import { readFile } from 'node:fs/promises';
import { DurnUserError, expected } from '../core/errors.ts';
import { writeFileAtomic } from '../core/fs/atomic.ts';
import type { TrainConfig } from './config.ts';
import { trainConfigSchema } from './config.ts';
import type { FlatLayout } from './flat.ts';
import type { RngState } from './rng.ts';

export const CHECKPOINT_FORMAT = 'durn-train-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface ValidationRecord {
  readonly step: number;
  readonly loss: number;
  readonly psnr: number;
  readonly ssim: number;
}

export interface CheckpointState {
  readonly config: TrainConfig;
  /** Steps completed. */
  readonly step: number;
  readonly adamT: number;
  /** num_batches_tracked of the starting weights (the counters are this plus `step`). */
  readonly batchesBase: number;
  /** Training loss per completed step. */
  readonly losses: number[];
  readonly validations: ValidationRecord[];
  readonly best: ValidationRecord | null;
  /** Wall time spent training so far, across resumes. */
  readonly wallSeconds: number;
  /** Batch k is drawn from fork('train-batch', k, i) of this generator: the whole data RNG state. */
  readonly rng: RngState;
  /** Parameter names and sizes, to refuse a checkpoint of another network layout. */
  readonly layout: { trainable: string[]; buffers: string[] };
  readonly startWeights: string;
  /** The provenance stored in the start weights file, if any: the lineage of a fine-tuned model. */
  readonly startProvenance?: Record<string, unknown> | null;
  /** One record per process that trained this run (runs resume across machines and sessions). */
  readonly sessions?: TrainingSession[];
  /** The run's --out, so a resume writes where the run would have. */
  readonly out?: string;
}

/** Where and how long one process trained a run: provenance must name every machine involved. */
export interface TrainingSession {
  readonly fromStep: number;
  readonly toStep: number;
  readonly wallSeconds: number;
  readonly cpu: string;
  readonly cores: number;
  readonly workers: number;
  readonly backend: string;
  /** ISO date the session started. */
  readonly started: string;
  /** torch engine: the device (cpu, cuda:0) and arithmetic (fp32, bf16). */
  readonly device?: string;
  readonly precision?: string;
  /** The schedule ran by this session's minutes (--schedule-by-time), not by its steps alone. */
  readonly scheduleMinutes?: number;
}

export interface CheckpointArrays {
  params: Float32Array;
  buffers: Float32Array;
  adamM: Float32Array;
  adamV: Float32Array;
  ema: Float32Array | null;
  bestParams: Float32Array | null;
  bestBuffers: Float32Array | null;
}

export interface Checkpoint {
  readonly state: CheckpointState;
  readonly arrays: CheckpointArrays;
}

const ARRAY_KEYS = ['params', 'buffers', 'adamM', 'adamV', 'ema', 'bestParams', 'bestBuffers'] as const;

export function encodeCheckpoint(c: Checkpoint): Buffer {
  const header: Record<string, unknown> = {};
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const key of ARRAY_KEYS) {
    const a = c.arrays[key];
    if (!a) continue;
    header[key] = { dtype: 'F32', shape: [a.length], data_offsets: [offset, offset + a.byteLength] };
    parts.push(a);
    offset += a.byteLength;
  }
  header.__metadata__ = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    durn_checkpoint: JSON.stringify(c.state),
  };
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header with spaces so tensor data starts 8-byte aligned (safetensors convention).
  const pad = (8 - ((8 + json.length) % 8)) % 8;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeBigUInt64LE(BigInt(json.length), 0);
  json.copy(out, 8);
  let at = 8 + json.length;
  for (const a of parts) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, at);
    at += a.byteLength;
  }
  return out;
}

function invalid(file: string, why: string): DurnUserError {
  return new DurnUserError('CHECKPOINT_INVALID', `${file} is not a usable durn training checkpoint: ${why}`, {
    file,
    hint: 'Pass a file written by `durn train` (--checkpoint, or the .ckpt.safetensors next to --out).',
  });
}

export function decodeCheckpoint(buf: Buffer, file: string): Checkpoint {
  if (buf.length < 8) throw invalid(file, 'too short');
  const len = Number(buf.readBigUInt64LE(0));
  if (len <= 0 || 8 + len > buf.length) throw invalid(file, 'bad header length');
  let header: Record<
    string,
    { dtype?: string; shape?: number[]; data_offsets?: [number, number] } | Record<string, string>
  >;
  try {
    header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8'));
  } catch {
    throw invalid(file, 'unreadable header');
  }
  const meta = header.__metadata__ as Record<string, string> | undefined;
  if (meta?.format !== CHECKPOINT_FORMAT)
    throw invalid(file, expected(CHECKPOINT_FORMAT, 'the format', meta?.format));
  if (meta.format_version !== String(CHECKPOINT_VERSION)) {
    throw invalid(file, expected(`version ${CHECKPOINT_VERSION}`, 'the format version', meta.format_version));
  }
  let state: CheckpointState;
  try {
    state = JSON.parse(meta.durn_checkpoint ?? '') as CheckpointState;
  } catch {
    throw invalid(file, 'unreadable state');
  }
  const cfg = trainConfigSchema.safeParse(state.config);
  if (!cfg.success || !Number.isInteger(state.step) || !Array.isArray(state.losses))
    throw invalid(file, 'incomplete state');
  const data = buf.subarray(8 + len);
  const arrays: Partial<CheckpointArrays> = {};
  for (const key of ARRAY_KEYS) {
    const e = header[key] as
      | { dtype?: string; shape?: number[]; data_offsets?: [number, number] }
      | undefined;
    if (!e) {
      arrays[key] = null as never;
      continue;
    }
    const [a, b] = e.data_offsets ?? [0, -1];
    if (e.dtype !== 'F32' || !(b >= a) || b > data.length || (b - a) % 4 !== 0)
      throw invalid(file, `bad tensor ${key}`);
    // Copy: the file buffer's offset may not be 4-byte aligned.
    arrays[key] = new Float32Array(data.buffer.slice(data.byteOffset + a, data.byteOffset + b));
  }
  if (!arrays.params || !arrays.buffers || !arrays.adamM || !arrays.adamV)
    throw invalid(file, 'missing tensors');
  return { state: { ...state, config: cfg.data }, arrays: arrays as CheckpointArrays };
}

export async function saveCheckpoint(path: string, c: Checkpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(c), { overwrite: true });
}

export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new DurnUserError('IO', `Cannot read the checkpoint ${path}: ${(err as Error).message}`, {
      file: path,
      cause: err,
    });
  }
  return decodeCheckpoint(buf, path);
}

/** Refuses a checkpoint whose arrays do not fit this network's layout. */
export function checkLayout(c: Checkpoint, layout: FlatLayout, file: string): void {
  const names = (l: readonly { name: string }[]) => l.map((e) => e.name).join(',');
  const ok =
    c.state.layout.trainable.join(',') === names(layout.trainable) &&
    c.state.layout.buffers.join(',') === names(layout.buffers) &&
    c.arrays.params.length === layout.trainableSize &&
    c.arrays.adamM.length === layout.trainableSize &&
    c.arrays.adamV.length === layout.trainableSize &&
    c.arrays.buffers.length === layout.bufferSize;
  if (!ok) throw invalid(file, `its parameters do not match ${c.state.config.network}`);
}
