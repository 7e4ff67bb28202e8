/**
 * A minimal protobuf writer and the few ONNX messages durn emits. Only encoding is needed: ONNX
 * Runtime parses the bytes. Field numbers are those of onnx.proto (ONNX 1.14+, IR version 8).
 */
import { DurnBugError } from '../../../core/errors.ts';

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LEN = 2;

/** Appends protobuf fields into growable chunks; `finish()` concatenates them once. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private scratch = new Uint8Array(256);
  private used = 0;
  private total = 0;

  private ensure(n: number): void {
    if (this.used + n <= this.scratch.length) return;
    this.flushScratch();
    if (n > this.scratch.length) this.scratch = new Uint8Array(Math.max(n, 2 * this.scratch.length));
  }

  private flushScratch(): void {
    if (this.used === 0) return;
    this.chunks.push(this.scratch.slice(0, this.used));
    this.used = 0;
  }

  private byte(b: number): void {
    this.scratch[this.used++] = b;
    this.total += 1;
  }

  /** Unsigned or two's-complement varint (negative int64 takes ten bytes, as protobuf says). */
  varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    this.ensure(10);
    if (v < 0x80n) {
      this.byte(Number(v));
      return;
    }
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A varint field (int32, int64, enum); proto3 default values are still written, harmlessly. */
  int(field: number, value: number | bigint): void {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new DurnBugError(`protobuf int field ${field} given ${value}`);
    }
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, WIRE_FIXED32);
    this.ensure(4);
    new DataView(this.scratch.buffer, this.scratch.byteOffset).setFloat32(this.used, value, true);
    this.used += 4;
    this.total += 4;
  }

  /** Packed repeated varints (ONNX reads packed and unpacked encodings alike). */
  packedInts(field: number, values: readonly (number | bigint)[]): void {
    const inner = new ProtoWriter();
    for (const v of values) inner.varint(v);
    this.bytes(field, inner.finish());
  }

  string(field: number, value: string): void {
    this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(value.length);
    if (value.length <= 64) {
      this.ensure(value.length);
      this.scratch.set(value, this.used);
      this.used += value.length;
    } else {
      // Large payloads (weights) are referenced, not copied, until finish().
      this.flushScratch();
      this.chunks.push(value);
    }
    this.total += value.length;
  }

  message(field: number, write: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    write(inner);
    this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    this.flushScratch();
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

// --- ONNX messages -------------------------------------------------------------------------------

export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string };

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name: string;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array;
}

/** A tensor's declared type: elem type and dims, each a size or a symbolic name. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly (number | string)[];
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly opset: number;
  readonly producer: string;
  readonly producerVersion: string;
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly docString?: string;
}

// AttributeProto.AttributeType
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

function writeAttribute(w: ProtoWriter, name: string, a: AttributeValue): void {
  w.string(1, name); // name
  switch (a.kind) {
    case 'float':
      w.float(2, a.value); // f
      w.int(20, ATTR_FLOAT); // type
      break;
    case 'int':
      w.int(3, a.value); // i
      w.int(20, ATTR_INT);
      break;
    case 'string':
      w.string(4, a.value); // s
      w.int(20, ATTR_STRING);
      break;
    case 'ints':
      w.packedInts(8, a.value); // ints
      w.int(20, ATTR_INTS);
      break;
  }
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.op);
  for (const [name, a] of Object.entries(n.attributes ?? {}))
    w.message(5, (aw) => writeAttribute(aw, name, a));
}

function writeTensor(w: ProtoWriter, t: OnnxInitializer): void {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) {
    throw new DurnBugError(`initializer ${t.name}: dims [${t.dims}] but ${t.data.length} values`);
  }
  w.packedInts(1, t.dims); // dims
  w.int(2, t.data instanceof Float32Array ? ONNX_FLOAT : ONNX_INT64); // data_type
  w.string(8, t.name); // name
  // raw_data is little-endian; so is every platform Node runs on.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      tensor.message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}

/** Serialises a ModelProto. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion); // ir_version
  w.string(2, m.producer); // producer_name
  w.string(3, m.producerVersion); // producer_version
  if (m.docString) w.string(6, m.docString); // doc_string
  w.message(7, (g) => {
    // graph
    for (const n of m.nodes) g.message(1, (nw) => writeNode(nw, n));
    g.string(2, m.graphName);
    for (const t of m.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of m.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of m.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (o) => {
    // opset_import: the default domain
    o.string(1, '');
    o.int(2, m.opset);
  });
  return w.finish();
}
