/**
 * Reading torch.save'd files, both containers: the zip format (PyTorch ≥ 1.6: data.pkl plus one
 * entry per storage) and the legacy stream (PyTorch 0.3–1.5: five pickles, then the storages).
 * The pickle is read by the safe unpickler with the torch allowlist; tensors come back as
 * HostTensors, viewing the file buffer where they can.
 */
import { readFile } from 'node:fs/promises';
import { DurnUserError, fsReason } from '../../../core/errors.ts';
import type { HostTensor } from '../types.ts';
import { found } from '../wording.ts';
import { PyTuple, type PyValue, unpickle } from './pickle.ts';
import {
  materialize,
  resolveTorchGlobal,
  type StorageRef,
  storageFromPersistentId,
  TensorRef,
} from './torch-globals.ts';
import { isZip, ZipReader } from './zip.ts';

export interface TorchObject {
  readonly value: PyValue;
  readonly format: 'zip' | 'legacy';
  /** Turns a tensor found in `value` into a HostTensor. `what` names it in errors. */
  tensor(t: TensorRef, what: string): HostTensor;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function invalid(source: string, message: string, hint?: string): DurnUserError {
  return new DurnUserError('CHECKPOINT_INVALID', message, {
    file: source,
    hint: hint ?? 'Expected a file written by torch.save(model.state_dict(), path).',
  });
}

function hooks(source: string, storages: Map<string, StorageRef> | null) {
  return {
    resolveGlobal: (m: string, n: string) => resolveTorchGlobal(m, n, source),
    persistentLoad: (pid: PyValue) => {
      const s = storageFromPersistentId(pid, source);
      storages?.set(s.key, s);
      return s;
    },
  };
}

function readZip(buf: Buffer, source: string): TorchObject {
  const zip = new ZipReader(buf, source);
  const names = [...zip.entries.keys()];
  const pkl = names.find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pkl) {
    throw invalid(
      source,
      found(
        'a PyTorch checkpoint (a zip with data.pkl)',
        source,
        `a zip of ${names.length} entries without data.pkl`,
      ),
    );
  }
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  if (names.some((n) => n.startsWith(`${prefix}code/`))) {
    throw invalid(
      source,
      found('a state_dict', source, 'a TorchScript archive (torch.jit.save)'),
      'Save the weights with torch.save(model.state_dict(), path) instead.',
    );
  }
  let littleEndian = true;
  if (zip.entries.has(`${prefix}byteorder`)) {
    const order = zip.read(`${prefix}byteorder`).toString('latin1').trim();
    if (order !== 'little' && order !== 'big')
      throw invalid(source, `${source} has an unknown byteorder ${JSON.stringify(order)}`);
    littleEndian = order === 'little';
  }
  const { value } = unpickle(zip.read(pkl), 0, hooks(source, null), source);
  const cache = new Map<string, Buffer>();
  return {
    value,
    format: 'zip',
    tensor(t, what) {
      let bytes = cache.get(t.storage.key);
      if (!bytes) {
        const entry = `${prefix}data/${t.storage.key}`;
        if (!zip.entries.has(entry))
          throw invalid(source, `${source} is damaged: the storage of ${what} (${entry}) is missing`);
        bytes = zip.read(entry);
        cache.set(t.storage.key, bytes);
      }
      return materialize(t, bytes, littleEndian, `${source}: ${what}`, source);
    },
  };
}

function readLegacy(buf: Buffer, source: string): TorchObject {
  const storages = new Map<string, StorageRef>();
  const h = hooks(source, storages);
  const magic = unpickle(buf, 0, h, source);
  if (typeof magic.value !== 'bigint' || magic.value !== LEGACY_MAGIC) {
    throw invalid(source, found('the PyTorch legacy magic number', source, String(magic.value)));
  }
  const proto = unpickle(buf, magic.end, h, source);
  if (proto.value !== 1001)
    throw invalid(source, found('legacy protocol version 1001', source, describePy(proto.value)));
  const sys = unpickle(buf, proto.end, h, source);
  const littleEndian = !(sys.value instanceof Map) || sys.value.get('little_endian') !== false;
  const obj = unpickle(buf, sys.end, h, source);
  const keysPickle = unpickle(buf, obj.end, h, source);
  const keys = keysPickle.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) {
    throw invalid(source, `${source} is damaged: its storage key list is not a list of strings`);
  }
  // Storages follow in key order: int64 element count, then the raw elements.
  const data = new Map<string, Buffer>();
  let p = keysPickle.end;
  for (const key of keys as string[]) {
    const ref = storages.get(key);
    if (!ref) throw invalid(source, `${source} is damaged: storage ${key} is listed but no tensor uses it`);
    if (p + 8 > buf.length) throw invalid(source, `${source} is truncated: storage ${key} is missing`);
    const numel = littleEndian ? buf.readBigInt64LE(p) : buf.readBigInt64BE(p);
    const bytes = Number(numel) * ref.type.elementSize;
    p += 8;
    if (numel < 0n || p + bytes > buf.length) {
      throw invalid(
        source,
        `${source} is truncated: storage ${key} needs ${bytes} bytes, ${buf.length - p} remain`,
      );
    }
    data.set(key, buf.subarray(p, p + bytes));
    p += bytes;
  }
  return {
    value: obj.value,
    format: 'legacy',
    tensor(t, what) {
      const bytes = data.get(t.storage.key);
      if (!bytes) throw invalid(source, `${source} is damaged: the storage of ${what} is missing`);
      return materialize(t, bytes, littleEndian, `${source}: ${what}`, source);
    },
  };
}

function describeStart(buf: Buffer): string {
  if (buf.length === 0) return 'an empty file';
  if (buf.length >= 262 && buf.toString('latin1', 257, 262) === 'ustar') {
    return 'a tar archive (the pre-0.1.10 PyTorch format, or not a checkpoint)';
  }
  return `a file of ${buf.length} bytes starting with ${buf.subarray(0, 8).toString('hex')}`;
}

/** Parses a torch.save'd buffer without materialising tensors. */
export function parseTorchBuffer(buf: Buffer, source: string): TorchObject {
  if (isZip(buf)) return readZip(buf, source);
  // Legacy streams start with PROTO 2 and LONG1 (the magic number).
  if (buf.length > 4 && buf[0] === 0x80 && buf[2] === 0x8a) return readLegacy(buf, source);
  throw invalid(source, found('a PyTorch checkpoint (zip or legacy format)', source, describeStart(buf)));
}

export async function loadTorchObject(path: string): Promise<TorchObject> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new DurnUserError('IO', `Expected a PyTorch checkpoint for ${path} but received ${fsReason(err)}`, {
      file: path,
      cause: err,
    });
  }
  return parseTorchBuffer(buf, path);
}

export function describePy(v: PyValue): string {
  if (v instanceof Map) return `a dict of ${v.size} entries`;
  if (Array.isArray(v)) return `a list of ${v.length} items`;
  if (v instanceof PyTuple) return `a tuple of ${v.items.length} items`;
  if (v instanceof TensorRef) return `a tensor of shape [${v.shape.join(', ')}]`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (v === null) return 'None';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** Collects every tensor below `v`, naming each by its dotted path of dict keys / list indices. */
export function flattenTensors(
  obj: TorchObject,
  v: PyValue,
  prefix: string,
  out: Map<string, HostTensor>,
): void {
  if (v instanceof TensorRef) {
    out.set(prefix, obj.tensor(v, prefix));
    return;
  }
  const children: [string, PyValue][] =
    v instanceof Map
      ? [...v].map(([k, x]) => [String(k), x])
      : Array.isArray(v) || v instanceof PyTuple
        ? (Array.isArray(v) ? v : v.items).map((x, i) => [String(i), x])
        : [];
  for (const [k, x] of children) flattenTensors(obj, x, prefix ? `${prefix}.${k}` : k, out);
}

/**
 * Reads any torch.save'd dict of tensors (nested dicts flattened with dots), without knowing the
 * architecture: used for gradient and running-statistics fixtures.
 */
export async function readTorchFile(path: string): Promise<Map<string, HostTensor>> {
  const obj = await loadTorchObject(path);
  if (!(obj.value instanceof Map)) {
    throw invalid(path, found('a dict of tensors', path, describePy(obj.value)));
  }
  const out = new Map<string, HostTensor>();
  flattenTensors(obj, obj.value, '', out);
  if (out.size === 0)
    throw invalid(path, found('a dict of tensors', path, `${describePy(obj.value)} without tensors`));
  return out;
}
