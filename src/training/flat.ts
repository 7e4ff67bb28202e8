/**
 * The trainer keeps a network's parameters as flat Float32Arrays in the engine's layout (conv
 * weights HWIO): gradients arrive in that layout, Adam is elementwise, so nothing is transposed per
 * step; only saving converts back to PyTorch layout (through TfjsModel.toStateDict). Learned
 * parameters and BatchNorm running statistics live in separate arrays because only the former get
 * gradients, and the int64 counters are kept as numbers.
 */
import { DurnBugError } from '../core/errors.ts';
import type { NetworkDefinition } from '../models/graph/types.ts';

export interface FlatEntry {
  readonly name: string;
  /** Shape in engine layout. */
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Plain data (structured-clonable) so it can be sent to worker threads. */
export interface FlatLayout {
  readonly trainable: readonly FlatEntry[];
  readonly trainableSize: number;
  readonly buffers: readonly FlatEntry[];
  readonly bufferSize: number;
  /** num_batches_tracked keys. */
  readonly counters: readonly string[];
}

/** Builds the layout from the network's parameter list and the engine shape of each parameter. */
export function flatLayout(
  def: NetworkDefinition,
  engineShape: (name: string) => readonly number[],
): FlatLayout {
  const trainable: FlatEntry[] = [];
  const buffers: FlatEntry[] = [];
  const counters: string[] = [];
  let t = 0;
  let b = 0;
  for (const p of def.graph.params) {
    if (p.dtype === 'int64') {
      counters.push(p.name);
      continue;
    }
    const shape = [...engineShape(p.name)];
    const size = shape.reduce((a, c) => a * c, 1);
    if (size !== p.shape.reduce((a, c) => a * c, 1))
      throw new DurnBugError(`engine shape of ${p.name} has another size`);
    if (p.trainable) {
      trainable.push({ name: p.name, shape, offset: t, size });
      t += size;
    } else {
      buffers.push({ name: p.name, shape, offset: b, size });
      b += size;
    }
  }
  return { trainable, trainableSize: t, buffers, bufferSize: b, counters };
}

export function segment(data: Float32Array, e: FlatEntry): Float32Array {
  return data.subarray(e.offset, e.offset + e.size);
}
