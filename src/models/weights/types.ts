/** In-memory weights: a PyTorch-style state_dict, name → tensor, float32 (or int64 counters). */
import type { NetworkId } from '../graph/types.ts';

export type TensorData = Float32Array | BigInt64Array;

export interface HostTensor {
  readonly shape: readonly number[];
  readonly dtype: 'float32' | 'int64';
  readonly data: TensorData;
}

/** Parameters by their PyTorch state_dict key. Float tensors are always float32 in memory. */
export type StateDict = Map<string, HostTensor>;

/** What a durn weights file says about itself (safetensors `__metadata__`, JSON-encoded values). */
export interface WeightsMetadata {
  /** Format version of durn's weights files. */
  readonly formatVersion: 1;
  readonly arch: NetworkId;
  /** The plugin task these weights serve, e.g. "denoise". */
  readonly task?: string;
  /** Who made them and how: trainer or importer, data, steps, wall time, hardware, source file. */
  readonly provenance?: Record<string, unknown>;
  /** Measured quality, e.g. { "bsd200-gray-sigma50": { psnr: 26.1, ssim: 0.72 } }. */
  readonly metrics?: Record<string, unknown>;
}

export interface Weights {
  readonly metadata: WeightsMetadata;
  readonly tensors: StateDict;
}
