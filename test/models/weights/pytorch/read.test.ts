/** readTorchFile on small files written by PyTorch 1.13 (see fixtures/make-fixtures.py). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTorchFile } from '../../../../src/models/weights/pytorch/import.ts';
import { parseTorchBuffer } from '../../../../src/models/weights/pytorch/read.ts';
import { materialize, type TensorRef } from '../../../../src/models/weights/pytorch/torch-globals.ts';

const DIR = join(import.meta.dirname, '../fixtures');

interface Expected {
  shape: number[];
  dtype: 'float32' | 'int64';
  values: number[];
}
const expectedOf = (name: string) =>
  JSON.parse(readFileSync(join(DIR, `${name}.expected.json`), 'utf8')) as Record<string, Expected>;

describe('readTorchFile on files PyTorch wrote', () => {
  for (const name of ['strided', 'dtypes', 'wrapped', 'parameters']) {
    for (const format of ['zip', 'legacy']) {
      it(`reads ${name}.${format}.pt exactly as PyTorch sees it`, async () => {
        const got = await readTorchFile(join(DIR, `${name}.${format}.pt`));
        const want = expectedOf(name);
        expect([...got.keys()].sort()).toEqual(Object.keys(want).sort());
        for (const [key, e] of Object.entries(want)) {
          const t = got.get(key)!;
          expect(t.shape, key).toEqual(e.shape);
          expect(t.dtype, key).toBe(e.dtype);
          const values =
            e.dtype === 'int64' ? e.values.map((v) => BigInt(v)) : e.values.map((v) => Math.fround(v));
          expect([...t.data], key).toEqual(values);
        }
      });
    }
  }

  it('materialises non-contiguous views into fresh C-order arrays, and views contiguous ones', async () => {
    const got = await readTorchFile(join(DIR, 'strided.zip.pt'));
    const transposed = got.get('transposed')!;
    expect(transposed.shape).toEqual([4, 3, 2]);
    // base[i][j][k] = (12i + 4j + k) / 8 - 1, transposed(0, 2) gives t[k][j][i].
    expect(transposed.data[1]).toBe((12 * 1 + 4 * 0 + 0) / 8 - 1);
    expect(transposed.data[2]).toBe((12 * 0 + 4 * 1 + 0) / 8 - 1);
    const whole = got.get('whole')!;
    const row = got.get('row')!;
    expect(row.data.buffer).toBe(whole.data.buffer); // both view the same storage bytes
    expect(row.data.byteOffset).toBe(whole.data.byteOffset + 2 * 6 * 4);
    expect(got.get('col')!.data.buffer).not.toBe(whole.data.buffer);
  });

  it('keeps the -0 and subnormal half-precision values PyTorch stored', async () => {
    const f16 = (await readTorchFile(join(DIR, 'dtypes.legacy.pt'))).get('f16')!;
    expect(Object.is(f16.data[3], -0)).toBe(true);
    expect(f16.data[2]).toBe(2 ** -24); // 6e-8 rounds to the smallest subnormal
  });

  it('converts big-endian storages (byteorder "big")', () => {
    const zip = readFileSync(join(DIR, 'strided.zip.pt'));
    const obj = parseTorchBuffer(zip, 'strided.zip.pt');
    expect(obj.format).toBe('zip');
    const ref = (obj.value as Map<unknown, unknown>).get('whole') as TensorRef;
    const little = obj.tensor(ref, 'whole');
    // Swap the storage bytes and say so: the reader must swap them back.
    const bytes = new Uint8Array(
      little.data.buffer.slice(little.data.byteOffset, little.data.byteOffset + little.data.byteLength),
    );
    const swapped = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i += 4) for (let j = 0; j < 4; j++) swapped[i + j] = bytes[i + 3 - j]!;
    const big = materialize(ref, swapped, false, 'whole');
    expect([...big.data]).toEqual([...little.data]);
  });
});
