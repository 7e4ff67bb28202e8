/**
 * The allowlist of Python globals a PyTorch state_dict pickle may name, as inert stand-ins, and
 * turning the tensors they describe into HostTensors (offsets, strides, dtypes, byte order).
 */
import { DurnUserError } from '../../../core/errors.ts';
import { float16ToFloat32 } from '../float16.ts';
import type { HostTensor } from '../types.ts';
import { type PyCallable, type PyOpaque, PyTuple, type PyValue } from './pickle.ts';

export type TorchDtype =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool';

const STORAGE_TYPES: Record<string, { dtype: TorchDtype; size: number }> = {
  FloatStorage: { dtype: 'float32', size: 4 },
  DoubleStorage: { dtype: 'float64', size: 8 },
  HalfStorage: { dtype: 'float16', size: 2 },
  BFloat16Storage: { dtype: 'bfloat16', size: 2 },
  LongStorage: { dtype: 'int64', size: 8 },
  IntStorage: { dtype: 'int32', size: 4 },
  ShortStorage: { dtype: 'int16', size: 2 },
  CharStorage: { dtype: 'int8', size: 1 },
  ByteStorage: { dtype: 'uint8', size: 1 },
  BoolStorage: { dtype: 'bool', size: 1 },
};

export class StorageType implements PyOpaque {
  readonly opaque = true;
  readonly dtype: TorchDtype;
  readonly elementSize: number;
  constructor(dtype: TorchDtype, elementSize: number) {
    this.dtype = dtype;
    this.elementSize = elementSize;
  }
}

/** A storage named by a persistent id; its bytes are found later by `key`. */
export class StorageRef implements PyOpaque {
  readonly opaque = true;
  readonly key: string;
  readonly type: StorageType;
  /** Element offset into the root storage (legacy storage views). */
  readonly viewOffset: number;
  constructor(key: string, type: StorageType, viewOffset: number) {
    this.key = key;
    this.type = type;
    this.viewOffset = viewOffset;
  }
}

export class TensorRef implements PyOpaque {
  readonly opaque = true;
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
  constructor(storage: StorageRef, offset: number, shape: number[], stride: number[]) {
    this.storage = storage;
    this.offset = offset;
    this.shape = shape;
    this.stride = stride;
  }
}

const callable = (qualifiedName: string, fn: (args: PyValue[]) => PyValue): PyCallable => ({
  qualifiedName,
  call: fn,
});

function intTuple(v: PyValue | undefined, what: string, source: string): number[] {
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : null;
  if (!items?.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
    throw invalid(source, `a tensor's ${what} is not a tuple of integers`);
  }
  return items as number[];
}

function invalid(source: string, what: string): DurnUserError {
  return new DurnUserError('CHECKPOINT_INVALID', `${source} is not a valid PyTorch checkpoint: ${what}`, {
    file: source,
  });
}

function rebuildTensor(name: string, source: string) {
  return callable(name, (args) => {
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof StorageRef) || typeof offset !== 'number') {
      throw invalid(source, `${name} called without a storage and offset`);
    }
    return new TensorRef(storage, offset, intTuple(size, 'size', source), intTuple(stride, 'stride', source));
  });
}

function orderedDict(args: PyValue[]): PyValue {
  const m = new Map<PyValue, PyValue>();
  // Python 2 pickles OrderedDict as OrderedDict([[k, v], ...]).
  const pairs = args[0];
  if (Array.isArray(pairs)) {
    for (const kv of pairs) {
      const items = kv instanceof PyTuple ? kv.items : Array.isArray(kv) ? kv : [];
      if (items.length === 2) m.set(items[0]!, items[1]!);
    }
  }
  return m;
}

/** Resolves a pickle global against the allowlist; anything else is CHECKPOINT_UNSAFE. */
export function resolveTorchGlobal(module: string, name: string, source: string): PyValue {
  const q = `${module}.${name}`;
  if (q === 'collections.OrderedDict') return callable(q, orderedDict);
  if (q === 'torch._utils._rebuild_tensor' || q === 'torch._utils._rebuild_tensor_v2')
    return rebuildTensor(q, source);
  if (q === 'torch._utils._rebuild_parameter' || q === 'torch._utils._rebuild_parameter_with_state') {
    // Parameter(data, requires_grad, hooks[, state]): for weights only the data matters.
    return callable(q, (args) => {
      if (!(args[0] instanceof TensorRef)) throw invalid(source, `${q} called without a tensor`);
      return args[0];
    });
  }
  const storage = module === 'torch' ? STORAGE_TYPES[name] : undefined;
  if (storage) return new StorageType(storage.dtype, storage.size);
  throw new DurnUserError(
    'CHECKPOINT_UNSAFE',
    `Refusing to load ${source}: the pickle references ${q}, which a PyTorch state_dict never needs`,
    {
      file: source,
      hint: 'durn reads plain state_dicts only and never runs code from a checkpoint. If this is a full training checkpoint from a source you trust, re-save it with torch.save(model.state_dict(), path).',
    },
  );
}

/** Persistent ids: ('storage', StorageType, key, location, numel[, (view_key, offset, size)]). */
export function storageFromPersistentId(pid: PyValue, source: string): StorageRef {
  const items = pid instanceof PyTuple ? pid.items : [];
  const [kind, type, key, , , view] = items;
  if (
    kind !== 'storage' ||
    !(type instanceof StorageType) ||
    (typeof key !== 'string' && typeof key !== 'number')
  ) {
    throw invalid(source, 'a persistent id is not a tensor storage');
  }
  let viewOffset = 0;
  if (view instanceof PyTuple && typeof view.items[1] === 'number') viewOffset = view.items[1];
  return new StorageRef(String(key), type, viewOffset);
}

/**
 * Materialises a tensor from its storage bytes. Contiguous little-endian float32/int64 tensors
 * with aligned data become views (no copy); everything else is gathered element by element into
 * float32 (floating types) or int64 (integer and bool types).
 */
export function materialize(
  t: TensorRef,
  storage: Uint8Array,
  littleEndian: boolean,
  what: string,
  file?: string,
): HostTensor {
  const { dtype, elementSize } = t.storage.type;
  const shape = t.shape;
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = t.offset + t.storage.viewOffset;
  const storageCount = Math.floor(storage.byteLength / elementSize);
  const floating = dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
  const outDtype = floating ? 'float32' : 'int64';
  if (count === 0)
    return { shape, dtype: outDtype, data: floating ? new Float32Array(0) : new BigInt64Array(0) };
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * t.stride[d]!;
  if (offset < 0 || last >= storageCount || t.stride.length !== shape.length) {
    throw new DurnUserError(
      'CHECKPOINT_INVALID',
      `${what} reaches element ${last} of a storage of ${storageCount} elements (the checkpoint is damaged)`,
      file === undefined ? {} : { file },
    );
  }
  let contiguous = true;
  for (let d = shape.length - 1, expectStride = 1; d >= 0; d--) {
    if (shape[d]! !== 1 && t.stride[d] !== expectStride) contiguous = false;
    expectStride *= shape[d]!;
  }
  const byteStart = storage.byteOffset + offset * elementSize;
  if (contiguous && littleEndian && byteStart % elementSize === 0) {
    if (dtype === 'float32')
      return { shape, dtype, data: new Float32Array(storage.buffer, byteStart, count) };
    if (dtype === 'int64') return { shape, dtype, data: new BigInt64Array(storage.buffer, byteStart, count) };
  }
  const view = new DataView(storage.buffer, storage.byteOffset, storage.byteLength);
  const read = elementReader(dtype, view, littleEndian);
  const out = floating ? new Float32Array(count) : new BigInt64Array(count);
  // Walk the index space in C order, tracking the storage position through the strides.
  const idx = new Array<number>(shape.length).fill(0);
  let pos = offset;
  for (let i = 0; i < count; i++) {
    (out as { [i: number]: number | bigint })[i] = floating ? Number(read(pos)) : BigInt(read(pos));
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]! += 1;
      pos += t.stride[d]!;
      if (idx[d]! < shape[d]!) break;
      pos -= shape[d]! * t.stride[d]!;
      idx[d] = 0;
    }
  }
  return { shape, dtype: outDtype, data: out };
}

function elementReader(dtype: TorchDtype, v: DataView, le: boolean): (i: number) => number | bigint {
  switch (dtype) {
    case 'float32':
      return (i) => v.getFloat32(i * 4, le);
    case 'float64':
      return (i) => v.getFloat64(i * 8, le);
    case 'float16':
      return (i) => float16ToFloat32(v.getUint16(i * 2, le));
    case 'bfloat16': {
      const tmp = new DataView(new ArrayBuffer(4));
      return (i) => {
        tmp.setUint32(0, v.getUint16(i * 2, le) << 16);
        return tmp.getFloat32(0);
      };
    }
    case 'int64':
      return (i) => v.getBigInt64(i * 8, le);
    case 'int32':
      return (i) => v.getInt32(i * 4, le);
    case 'int16':
      return (i) => v.getInt16(i * 2, le);
    case 'int8':
      return (i) => v.getInt8(i);
    case 'uint8':
      return (i) => v.getUint8(i);
    case 'bool':
      return (i) => (v.getUint8(i) ? 1 : 0);
  }
}
