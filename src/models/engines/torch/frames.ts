/**
 * The torch engine's frame format, both ways: u32 LE JSON length, u64 LE payload length, the JSON
 * header, then the payload (the header's `arrays`, raw little-endian float32, in order).
 */
import { DurnBugError } from '../../../core/errors.ts';

export interface NamedArray {
  readonly name: string;
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export interface Reply {
  readonly header: Record<string, unknown>;
  readonly arrays: Map<string, { data: Float32Array; shape: number[] }>;
}

const count = (shape: readonly number[]) => shape.reduce((x, y) => x * y, 1);

/** One frame as the buffers to write, in order (the arrays' memory is not copied). */
export function encodeFrame(
  header: Record<string, unknown>,
  arrays: readonly NamedArray[] = [],
): Uint8Array[] {
  for (const a of arrays) {
    if (count(a.shape) !== a.data.length)
      throw new DurnBugError(`${a.name}: ${a.data.length} values for shape ${a.shape}`);
  }
  const specs = arrays.map((a) => ({ name: a.name, shape: a.shape }));
  const json = Buffer.from(JSON.stringify({ ...header, arrays: specs }), 'utf8');
  const payload = arrays.reduce((s, a) => s + a.data.byteLength, 0);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(json.length, 0);
  head.writeBigUInt64LE(BigInt(payload), 4);
  return [
    head,
    json,
    ...arrays.map((a) => new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength)),
  ];
}

/**
 * Reassembles frames from a stream's chunks. Chunks are joined once per frame, when the whole
 * frame is in: joining on every 64 KiB pipe read made a 160 MB reply (a large network's training
 * state) cost minutes of copying.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes of the frame being received, once its 12-byte prefix is in; 0 before. */
  private frameBytes = 0;

  /** The frames this chunk completes (often none, sometimes several). */
  push(b: Buffer): Reply[] {
    this.chunks.push(b);
    this.buffered += b.length;
    const out: Reply[] = [];
    for (;;) {
      if (this.frameBytes === 0) {
        if (this.buffered < 12) return out;
        const head = this.chunks[0]!.length >= 12 ? this.chunks[0]! : this.joined();
        this.frameBytes = 12 + head.readUInt32LE(0) + Number(head.readBigUInt64LE(4));
      }
      const total = this.frameBytes;
      if (this.buffered < total) return out;
      this.frameBytes = 0;
      const all = this.joined();
      const jl = all.readUInt32LE(0);
      const header = JSON.parse(all.subarray(12, 12 + jl).toString('utf8')) as Record<string, unknown>;
      const payload = all.subarray(12 + jl, total);
      const rest = all.subarray(total);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      const arrays = new Map<string, { data: Float32Array; shape: number[] }>();
      let at = 0;
      for (const a of (header.arrays as { name: string; shape: number[] }[] | undefined) ?? []) {
        const n = count(a.shape);
        // Copy out: the payload's byte offset need not be 4-byte aligned.
        const data = new Float32Array(n);
        new Uint8Array(data.buffer).set(payload.subarray(at, at + 4 * n));
        arrays.set(a.name, { data, shape: a.shape });
        at += 4 * n;
      }
      out.push({ header, arrays });
    }
  }

  /** The buffered chunks as one buffer (a copy only when there are several). */
  private joined(): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}
