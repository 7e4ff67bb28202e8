/** A content hash of a state_dict, independent of file format and key order. */
import { createHash } from 'node:crypto';
import type { StateDict } from './types.ts';

/** sha256 (hex) over the sorted names, each with its dtype, shape and raw little-endian data. */
export function weightsHash(tensors: StateDict): string {
  const h = createHash('sha256');
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    h.update(`${name}\0${t.dtype}\0${t.shape.join(',')}\0`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}
