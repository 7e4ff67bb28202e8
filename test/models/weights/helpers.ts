/** Builders for hand-made checkpoints: a minimal zip writer and the legacy stream layout. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach } from 'vitest';

/** A stored (uncompressed) zip of the given entries, as PyTorch writes them. */
export function makeZip(entries: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBuf = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(nameBuf.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(nameBuf.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, nameBuf, data);
    centrals.push(ch, nameBuf);
    offset += 30 + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** The legacy stream: magic, protocol 1001, sys info, then `objectPickle` and an empty key list. */
export function makeLegacy(objectPickle: Buffer): Buffer {
  const magic = Buffer.from('80028a0a6c fc 9c 46 f9 20 6a a8 50 19 2e'.replace(/ /g, ''), 'hex');
  const proto = Buffer.from('8002 4d e903 2e'.replace(/ /g, ''), 'hex');
  const sys = Buffer.from('8002 7d 2e'.replace(/ /g, ''), 'hex'); // {}
  const keys = Buffer.from('8002 5d 2e'.replace(/ /g, ''), 'hex'); // []
  return Buffer.concat([magic, proto, sys, objectPickle, keys]);
}

/** The pickle of the brief: `os.system('echo!')` in protocol 2. */
export const OS_SYSTEM_PICKLE = Buffer.from(
  '\x80\x02cos\nsystem\nq\x00X\x05\x00\x00\x00echo!q\x01\x85q\x02Rq\x03.',
  'latin1',
);

/** A fresh temp folder per test, removed afterwards. */
export function makeTempDirs(): () => string {
  let dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), 'durn-weights-'));
    dirs.push(d);
    return d;
  };
}

export const listDir = (d: string) => readdirSync(d).sort();

/** Bitwise equality of two tensors (fast on big arrays, unlike a deep toEqual). */
export function sameTensor(
  a: { shape: readonly number[]; dtype: string; data: ArrayBufferView } | undefined,
  b: { shape: readonly number[]; dtype: string; data: ArrayBufferView } | undefined,
): boolean {
  if (!a || !b) return false;
  const bytes = (t: ArrayBufferView) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
  return a.dtype === b.dtype && a.shape.join() === b.shape.join() && bytes(a.data).equals(bytes(b.data));
}

/** Pickle fragments (protocol 2), to hand-build checkpoints the way torch.save lays them out. */
export const pk = {
  str: (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return Buffer.concat([Buffer.from('X'), len, b]);
  },
  int: (n: number) => Buffer.from([0x4b, n]), // BININT1
  global: (module: string, name: string) => Buffer.from(`c${module}\n${name}\n`, 'latin1'),
  /** A float32 tensor of `shape` (C-contiguous) on storage `key` of `numel` elements. */
  tensor: (key: string, shape: number[], numel = shape.reduce((a, b) => a * b, 1)) => {
    const tuple = (xs: number[]) => Buffer.concat([Buffer.from('('), ...xs.map(pk.int), Buffer.from('t')]);
    const stride = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
    return Buffer.concat([
      pk.global('torch._utils', '_rebuild_tensor_v2'),
      Buffer.from('(('),
      pk.str('storage'),
      pk.global('torch', 'FloatStorage'),
      pk.str(key),
      pk.str('cpu'),
      pk.int(numel),
      Buffer.from('tQ'), // TUPLE, BINPERSID
      pk.int(0),
      tuple(shape),
      tuple(stride),
      Buffer.from([0x89]), // False
      pk.global('collections', 'OrderedDict'),
      Buffer.from(')RtR'),
    ]);
  },
  dict: (entries: [string, Buffer][]) =>
    Buffer.concat([Buffer.from('}('), ...entries.flatMap(([k, v]) => [pk.str(k), v]), Buffer.from('u')]),
  /** PROTO 2, the object, STOP. */
  pickle: (obj: Buffer) => Buffer.concat([Buffer.from([0x80, 0x02]), obj, Buffer.from('.')]),
};
