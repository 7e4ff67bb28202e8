import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NetworkId } from '../../../src/models/graph/types.ts';
import { getNetwork } from '../../../src/models/networks/index.ts';
import { weightsHash } from '../../../src/models/weights/hash.ts';
import {
  decodeSafetensors,
  encodeSafetensors,
  loadWeights,
  saveWeights,
} from '../../../src/models/weights/safetensors.ts';
import type { StateDict, Weights } from '../../../src/models/weights/types.ts';
import { listDir, makeTempDirs, sameTensor } from './helpers.ts';

/** Deterministic pseudo-random weights with every parameter of `arch`. */
function syntheticWeights(arch: NetworkId, seed = 1, extra: Record<string, number[]> = {}): Weights {
  let s = seed | 1;
  const rand = () => {
    // xorshift32: fast enough for ten million values
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.5;
  };
  const tensors: StateDict = new Map();
  for (const p of getNetwork(arch).graph.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.dtype === 'int64') {
      tensors.set(p.name, {
        shape: p.shape,
        dtype: 'int64',
        data: BigInt64Array.of(BigInt(Math.floor(rand() * 1e6))),
      });
      continue;
    }
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = rand() * 3;
    tensors.set(p.name, { shape: p.shape, dtype: 'float32', data });
  }
  for (const [k, shape] of Object.entries(extra))
    tensors.set(k, { shape, dtype: 'float32', data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  return {
    metadata: {
      formatVersion: 1,
      arch,
      task: 'denoise',
      provenance: { trainer: 'test', steps: 3, nested: { b: 1, a: [1, 2] } },
      metrics: { 'bsd68-sigma25': { psnr: 29.1 } },
    },
    tensors,
  };
}

describe('safetensors encoding', () => {
  const tmp = makeTempDirs();

  it('round-trips float32 weights bit-exactly, with metadata, through a file', async () => {
    const w = syntheticWeights('durn-p');
    const dir = tmp();
    await saveWeights(join(dir, 'p.safetensors'), w);
    const back = await loadWeights(join(dir, 'p.safetensors'));
    expect(back.metadata).toEqual(w.metadata);
    expect(back.unused).toEqual([]);
    expect([...back.tensors.keys()].sort()).toEqual([...w.tensors.keys()].sort());
    for (const [k, t] of w.tensors) expect(sameTensor(back.tensors.get(k), t), k).toBe(true);
    expect(weightsHash(back.tensors)).toBe(weightsHash(w.tensors));
    expect(listDir(dir)).toEqual(['p.safetensors']); // no temp file left behind
  });

  it('lays the file out as the format says: header length, sorted JSON header padded to 8, data', () => {
    const buf = encodeSafetensors(syntheticWeights('durn-p-nonorm'));
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(buf.toString('utf8', 8, 8 + n)) as Record<
      string,
      { dtype: string; shape: number[]; data_offsets: number[] }
    >;
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(names).toEqual([...names].sort());
    expect(header['conv1.conv2d.weight']).toMatchObject({ dtype: 'F32', shape: [32, 3, 3, 3] });
    const meta = header.__metadata__ as unknown as Record<string, string>;
    expect(meta).toMatchObject({
      format: 'durn-weights',
      format_version: '1',
      arch: 'durn-p-nonorm',
      task: 'denoise',
    });
    expect(JSON.parse(meta.provenance!)).toEqual({ trainer: 'test', steps: 3, nested: { a: [1, 2], b: 1 } });
    expect(meta.provenance).toBe('{"nested":{"a":[1,2],"b":1},"steps":3,"trainer":"test"}');
  });

  it('is deterministic: same weights, same bytes, whatever the insertion order', () => {
    const a = syntheticWeights('durn-p');
    const b: Weights = { metadata: a.metadata, tensors: new Map([...a.tensors].reverse()) };
    expect(encodeSafetensors(a).equals(encodeSafetensors(b))).toBe(true);
  });

  it('keeps int64 counters as I64 and converts floats to F16 on request', () => {
    const w = syntheticWeights('durn-p');
    const buf = encodeSafetensors(w, { dtype: 'float16' });
    expect(buf.length).toBeLessThan(encodeSafetensors(w).length * 0.51);
    const back = decodeSafetensors(buf, 'half.safetensors');
    const counter = back.tensors.get('norm1.norm.num_batches_tracked')!;
    expect(counter.dtype).toBe('int64');
    expect(counter.data).toEqual(w.tensors.get('norm1.norm.num_batches_tracked')!.data);
    const orig = w.tensors.get('conv1.conv2d.weight')!.data as Float32Array;
    const half = back.tensors.get('conv1.conv2d.weight')!.data as Float32Array;
    // Within half a unit in the last place of float16 (relative 2^-11) of the original.
    const off = [...orig].filter((v, i) => Math.abs(half[i]! - v) > Math.abs(v) * 2 ** -11);
    expect(off).toEqual([]);
    expect([...half].some((v, i) => v !== orig[i])).toBe(true);
    // Values already representable in float16 survive a second float16 round trip unchanged.
    const again = decodeSafetensors(
      encodeSafetensors({ metadata: back.metadata, tensors: back.tensors }, { dtype: 'float16' }),
    );
    for (const [k, t] of back.tensors) expect(sameTensor(again.tensors.get(k), t), k).toBe(true);
  });

  it('reports extra keys the reference carries unused, and refuses any other extra key', () => {
    const w = syntheticWeights('durn-s-p', 2, { 'prelu.weight': [1] });
    expect(() => decodeSafetensors(encodeSafetensors(w))).not.toThrow();
    const dir = tmp();
    return (async () => {
      await saveWeights(join(dir, 'sp.safetensors'), w);
      expect((await loadWeights(join(dir, 'sp.safetensors'))).unused).toEqual(['prelu.weight']);
      await saveWeights(join(dir, 'x.safetensors'), syntheticWeights('durn-p', 2, { 'head.bias': [3] }));
      await expect(loadWeights(join(dir, 'x.safetensors'))).rejects.toThrow(/extra tensor head\.bias/);
    })();
  });
});

describe('loadWeights refuses files that do not match, naming the first mismatch', () => {
  const tmp = makeTempDirs();
  const save = async (w: Weights) => {
    const path = join(tmp(), 'w.safetensors');
    await saveWeights(path, w);
    return path;
  };

  it('a wrong shape', async () => {
    const w = syntheticWeights('durn-p');
    const t = w.tensors.get('conv1.conv2d.weight')!;
    w.tensors.set('conv1.conv2d.weight', { ...t, shape: [32, 3, 3, 3], data: new Float32Array(32 * 27) });
    await expect(loadWeights(await save(w))).rejects.toThrow(
      /Expected shape \[32,1,3,3\] for conv1\.conv2d\.weight but received \[32,3,3,3\]/,
    );
  });

  it('a missing key, a wrong dtype, a non-finite value, another arch', async () => {
    const missing = syntheticWeights('durn-p');
    missing.tensors.delete('norm1.norm.running_var');
    await expect(loadWeights(await save(missing))).rejects.toThrow(/norm1\.norm\.running_var .* missing/);

    const dtype = syntheticWeights('durn-p');
    dtype.tensors.set('norm1.norm.num_batches_tracked', {
      shape: [],
      dtype: 'float32',
      data: new Float32Array(1),
    });
    await expect(loadWeights(await save(dtype))).rejects.toThrow(
      /Expected dtype int64 for norm1\.norm\.num_batches_tracked but received float32/,
    );

    const nan = syntheticWeights('durn-p');
    (nan.tensors.get('conv1.conv2d.bias')!.data as Float32Array)[5] = Number.NaN;
    await expect(loadWeights(await save(nan))).rejects.toThrow(
      /finite values for conv1\.conv2d\.bias but received NaN at index 5/,
    );

    const path = await save(syntheticWeights('durn-p'));
    await expect(loadWeights(path, 'durn-u')).rejects.toMatchObject({ code: 'WEIGHTS_MISMATCH', file: path });
    await expect(loadWeights(path, 'durn-p')).resolves.toBeDefined();
  });

  it('damaged, truncated, foreign and missing files', async () => {
    const dir = tmp();
    const good = encodeSafetensors(syntheticWeights('durn-p-nonorm'));
    const cases: [string, Buffer, RegExp][] = [
      ['truncated', good.subarray(0, good.length - 4), /do not fit shape|belong to no tensor/],
      ['padded', Buffer.concat([good, Buffer.alloc(4)]), /4 bytes of data belong to no tensor/],
      ['tiny', Buffer.alloc(3), /Expected a safetensors file/],
      [
        'badjson',
        Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{{{{{')]),
        /not valid JSON/,
      ],
      ['huge', Buffer.from([255, 255, 255, 255, 0, 0, 0, 0, 0]), /header length/],
    ];
    for (const [name, bytes, message] of cases) {
      writeFileSync(join(dir, name), bytes);
      await expect(loadWeights(join(dir, name)), name).rejects.toThrow(message);
    }
    // A safetensors file from elsewhere (no durn metadata).
    const n = Number(good.readBigUInt64LE(0));
    const header = JSON.parse(good.toString('utf8', 8, 8 + n)) as Record<string, unknown>;
    delete header.__metadata__;
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeFileSync(join(dir, 'foreign'), Buffer.concat([len, json, good.subarray(8 + n)]));
    await expect(loadWeights(join(dir, 'foreign'))).rejects.toThrow(
      /Expected a durn weights file .* but received no format/,
    );
    await expect(loadWeights(join(dir, 'nope'))).rejects.toMatchObject({ code: 'WEIGHTS_MISSING' });
  });

  it('saveWeights refuses to overwrite unless asked, and validates its options', async () => {
    const dir = tmp();
    const path = join(dir, 'w.safetensors');
    await saveWeights(path, syntheticWeights('durn-p', 1));
    const before = readFileSync(path);
    await expect(saveWeights(path, syntheticWeights('durn-p', 2))).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
    });
    expect(readFileSync(path).equals(before)).toBe(true);
    await saveWeights(path, syntheticWeights('durn-p', 2), { overwrite: true });
    expect(readFileSync(path).equals(before)).toBe(false);
    await expect(
      saveWeights(path, syntheticWeights('durn-p'), { dtype: 'int8' as 'float16' }),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    await expect(
      saveWeights(join(dir, 'no/such/dir/w.safetensors'), syntheticWeights('durn-p')),
    ).rejects.toMatchObject({ code: 'IO' });
    expect(listDir(dir)).toEqual(['w.safetensors']);
  });
});

describe('weightsHash', () => {
  it('depends on names, shapes and values, not on insertion order', () => {
    const a = syntheticWeights('durn-p-nonorm').tensors;
    const h = weightsHash(a);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(weightsHash(new Map([...a].reverse()))).toBe(h);
    const b = syntheticWeights('durn-p-nonorm').tensors;
    (b.get('conv1.conv2d.bias')!.data as Float32Array)[0]! += 1e-6;
    expect(weightsHash(b)).not.toBe(h);
    const c = new Map(a);
    const t = c.get('conv1.conv2d.bias')!;
    c.set('conv1.conv2d.bias', { ...t, shape: [t.shape[0]!, 1] });
    expect(weightsHash(c)).not.toBe(h);
  });
});
