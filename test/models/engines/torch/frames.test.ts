/**
 * The torch engine's frame reassembly, fed the way a pipe delivers: frames cut into seeded
 * random chunks of 1–11 bytes (inside the 12-byte prefix too) and up to 70 KB, several frames in
 * one chunk, and a 200 MB frame (a DuRN-U training state) in 64 KiB reads. Pure logic: no Python.
 */
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader, type NamedArray } from '../../../../src/models/engines/torch/frames.ts';

function stream(frames: Uint8Array[][]): Buffer {
  return Buffer.concat(frames.flat());
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function ramp(name: string, shape: number[], start: number): NamedArray {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * 0.5;
  return { name, data, shape };
}

describe('FrameReader', () => {
  it('decodes frames cut into chunks of any size, prefix included', () => {
    const frames = [
      encodeFrame({ ok: true, n: 0 }),
      encodeFrame({ ok: true, n: 1 }, [ramp('y', [2, 3], 1), ramp('z', [5], -7)]),
      encodeFrame({ ok: false, error: 'boom' }),
      encodeFrame({ ok: true, n: 3 }, [ramp('params', [40_000], 3)]),
    ];
    const bytes = stream(frames);
    for (const seed of [1, 2, 3]) {
      const rnd = lcg(seed);
      const reader = new FrameReader();
      const got = [];
      for (let at = 0; at < bytes.length; ) {
        const size = 1 + Math.floor(rnd() * (seed === 1 ? 11 : 70_000));
        got.push(...reader.push(bytes.subarray(at, at + size)));
        at += size;
      }
      expect(got.map((r) => r.header.n ?? r.header.error)).toEqual([0, 1, 'boom', 3]);
      expect([...got[1]!.arrays.keys()]).toEqual(['y', 'z']);
      expect(got[1]!.arrays.get('y')).toEqual({ data: ramp('y', [2, 3], 1).data, shape: [2, 3] });
      expect(Array.from(got[1]!.arrays.get('z')!.data)).toEqual([-7, -6.5, -6, -5.5, -5]);
      expect(got[3]!.arrays.get('params')!.data).toEqual(ramp('params', [40_000], 3).data);
    }
  });

  it('decodes several frames arriving in one chunk', () => {
    const bytes = stream([encodeFrame({ i: 1 }), encodeFrame({ i: 2 }, [ramp('x', [3], 0)])]);
    const got = new FrameReader().push(bytes);
    expect(got.map((r) => r.header.i)).toEqual([1, 2]);
    expect(Array.from(got[1]!.arrays.get('x')!.data)).toEqual([0, 0.5, 1]);
  });

  it('decodes a 200 MB training state read 64 KiB at a time', () => {
    const n = 12_856_579; // DuRN-U's trainable values
    const arrays = ['params', 'adamM', 'adamV', 'buffers'].map((name, k) => ramp(name, [n], k));
    const bytes = stream([encodeFrame({ ok: true, adamT: 250 }, arrays)]);
    expect(bytes.length).toBeGreaterThan(200e6);
    const reader = new FrameReader();
    const got = [];
    for (let at = 0; at < bytes.length; at += 65_536)
      got.push(...reader.push(bytes.subarray(at, at + 65_536)));
    expect(got).toHaveLength(1);
    expect(got[0]!.header.adamT).toBe(250);
    for (const [k, a] of arrays.entries()) {
      const d = got[0]!.arrays.get(a.name)!.data;
      expect(d.length).toBe(n);
      expect([d[0], d[n - 1]]).toEqual([k, k + (n - 1) * 0.5]);
    }
  });
});
