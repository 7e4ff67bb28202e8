/** Test helper: a valid ICC v2 matrix/TRC display profile, written byte by byte. */
import { bradford, D50, D65, type Mat3, mulMat, rgbToXyzMatrix } from '../../../src/pipeline/image/color.ts';

export const ADOBE_RGB_PRIMARIES = [
  [0.64, 0.33],
  [0.21, 0.71],
  [0.15, 0.06],
] as const;
/** Adobe RGB (1998) as the ICC stores it: D50-adapted colorants, gamma 563/256. */
export const ADOBE_RGB_D50: Mat3 = mulMat(bradford(D65, D50), rgbToXyzMatrix(ADOBE_RGB_PRIMARIES, D65));

export function buildMatrixProfile(description: string, m: Mat3, gamma: number): Buffer {
  const s15 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(Math.round(v * 65536));
    return b;
  };
  const xyzTag = (x: number, y: number, z: number) =>
    Buffer.concat([Buffer.from('XYZ \0\0\0\0', 'latin1'), s15(x), s15(y), s15(z)]);
  const curv = Buffer.alloc(14);
  curv.write('curv', 0, 'latin1');
  curv.writeUInt32BE(1, 8);
  curv.writeUInt16BE(Math.round(gamma * 256), 12);
  const descTag = Buffer.alloc(12 + description.length + 1 + 8 + 70 + 10);
  descTag.write('desc', 0, 'latin1');
  descTag.writeUInt32BE(description.length + 1, 8);
  descTag.write(description, 12, 'latin1');
  const textTag = Buffer.concat([
    Buffer.from('text\0\0\0\0', 'latin1'),
    Buffer.from('No copyright\0', 'latin1'),
  ]);
  const tags: Array<[string, Buffer]> = [
    ['desc', descTag],
    ['cprt', textTag],
    ['wtpt', xyzTag(D50[0], D50[1], D50[2])],
    ['rXYZ', xyzTag(m[0], m[3], m[6])],
    ['gXYZ', xyzTag(m[1], m[4], m[7])],
    ['bXYZ', xyzTag(m[2], m[5], m[8])],
    ['rTRC', curv],
    ['gTRC', curv],
    ['bTRC', curv],
  ];
  const pad4 = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  let offset = 128 + 4 + tags.length * 12;
  const table = Buffer.alloc(4 + tags.length * 12);
  table.writeUInt32BE(tags.length, 0);
  const bodies: Buffer[] = [];
  tags.forEach(([sig, body], i) => {
    table.write(sig, 4 + i * 12, 'latin1');
    table.writeUInt32BE(offset, 8 + i * 12);
    table.writeUInt32BE(body.length, 12 + i * 12);
    const padded = pad4(body);
    bodies.push(padded);
    offset += padded.length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.write('none', 4, 'latin1');
  header.writeUInt32BE(0x02100000, 8);
  header.write('mntrRGB XYZ ', 12, 'latin1');
  header.write('acsp', 36, 'latin1');
  s15(D50[0]).copy(header, 68);
  s15(D50[1]).copy(header, 72);
  s15(D50[2]).copy(header, 76);
  return Buffer.concat([header, table, ...bodies]);
}
