import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpy, readNpy } from '../../../src/models/weights/npy.ts';
import { describeShared, FIXTURES } from '../../helpers/shared.ts';
import { makeTempDirs } from './helpers.ts';

/** A .npy file as numpy writes it: header padded with spaces so the data is 64-byte aligned. */
function npy(
  descr: string,
  shape: number[],
  data: Buffer,
  opts: { version?: number; fortran?: boolean } = {},
): Buffer {
  const version = opts.version ?? 1;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const pre = version === 1 ? 10 : 12;
  header += ' '.repeat(63 - ((pre + header.length) % 64)) + '\n';
  const lead = Buffer.alloc(pre);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(lead);
  if (version === 1) lead.writeUInt16LE(header.length, 8);
  else lead.writeUInt32LE(header.length, 8);
  return Buffer.concat([lead, Buffer.from(header, 'latin1'), data]);
}

const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);

describe('parseNpy', () => {
  it('reads float32 arrays of versions 1, 2 and 3, in C order', () => {
    for (const version of [1, 2, 3]) {
      const a = parseNpy(npy('<f4', [2, 3], f32([1, 2, 3, 4, 5, 6.5]), { version }));
      expect(a.shape).toEqual([2, 3]);
      expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6.5]);
    }
    expect(parseNpy(npy('<f4', [4], f32([0, -1, 2, 3]))).shape).toEqual([4]);
    expect(parseNpy(npy('<f4', [], f32([7]))).data[0]).toBe(7);
  });

  it('copies the data only when it is misaligned', () => {
    const file = npy('<f4', [3], f32([1, 2, 3]));
    expect(parseNpy(file).data.buffer).toBe(file.buffer);
    const shifted = Buffer.concat([Buffer.alloc(1), file]).subarray(1);
    const a = parseNpy(shifted);
    expect(a.data.buffer).not.toBe(shifted.buffer);
    expect([...a.data]).toEqual([1, 2, 3]);
  });

  it('refuses other dtypes, Fortran order, bad magic and truncated data, saying what it found', () => {
    expect(() => parseNpy(npy('<f8', [1], Buffer.alloc(8)), 'x.npy')).toThrow(
      /Expected dtype '<f4'.*but received "<f8"/,
    );
    expect(() => parseNpy(npy('>f4', [1], Buffer.alloc(4)), 'x.npy')).toThrow(/received ">f4"/);
    expect(() => parseNpy(npy('<f4', [2, 2], f32([1, 2, 3, 4]), { fortran: true }), 'x.npy')).toThrow(
      /C order/,
    );
    expect(() => parseNpy(npy('<f4', [2, 2], f32([1, 2, 3])), 'x.npy')).toThrow(/Expected 16 bytes of data/);
    expect(() => parseNpy(Buffer.from('not numpy at all'), 'x.npy')).toThrow(
      /x\.npy.*Expected a NumPy \.npy file/,
    );
    expect(() => parseNpy(Buffer.alloc(0), 'x.npy')).toThrow(/an empty file/);
    const v9 = npy('<f4', [1], f32([1]));
    v9[6] = 9;
    expect(() => parseNpy(v9, 'x.npy')).toThrow(/version 9/);
  });
});

describe('readNpy', () => {
  const tmp = makeTempDirs();
  it('reads a file and names a missing one', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.npy'), npy('<f4', [1, 2], f32([0.25, -3])));
    expect(await readNpy(join(dir, 'a.npy'))).toEqual({ shape: [1, 2], data: new Float32Array([0.25, -3]) });
    await expect(readNpy(join(dir, 'missing.npy'))).rejects.toMatchObject({
      code: 'IO',
      file: join(dir, 'missing.npy'),
    });
  });
});

describeShared('readNpy on the reference fixtures', () => {
  it('reads the inputs and outputs of the forward fixtures', async () => {
    const input = await readNpy(join(FIXTURES, 'durn_p.input.npy'));
    expect(input.shape).toEqual([1, 1, 48, 40]);
    expect(input.data.length).toBe(48 * 40);
    expect(Math.min(...input.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...input.data)).toBeLessThan(1);
    const out = await readNpy(join(FIXTURES, 'durn_u.output.npy'));
    expect(out.shape).toEqual([1, 3, 48, 40]);
  });
});
