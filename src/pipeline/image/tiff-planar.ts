/**
 * Tiled TIFFs with separate planes (PlanarConfiguration 2 + TileWidth), which libvips refuses
 * ("tiled separate planes not supported"). Each plane's tiles are a complete single-band tiled
 * image on their own, so for every plane a new IFD is appended to the file that points at that
 * plane's tiles (same compression and predictor, nothing decompressed here); libvips decodes each
 * single-band view and sharp joins the bands. Classic (not Big) TIFF only.
 */
import sharp from 'sharp';

const TAG = {
  width: 256,
  length: 257,
  bitsPerSample: 258,
  compression: 259,
  photometric: 262,
  samplesPerPixel: 277,
  planar: 284,
  predictor: 317,
  tileWidth: 322,
  tileLength: 323,
  tileOffsets: 324,
  tileByteCounts: 325,
  sampleFormat: 339,
} as const;
const SHORT = 3;
const LONG = 4;

type Ifd = Map<number, number[]>;

/** True when `bytes` is a classic TIFF whose first image is tiled with separate planes. */
export function isTiledPlanarTiff(bytes: Buffer): boolean {
  const ifd = readFirstIfd(bytes);
  return ifd !== null && ifd.get(TAG.planar)?.[0] === 2 && ifd.has(TAG.tileOffsets);
}

/**
 * Interleaved raw samples (uchar or ushort, per the source depth) of a tiled planar TIFF, or
 * null when the layout is not that. Throws sharp's error when a plane cannot be decoded.
 */
export async function decodeTiledPlanar(
  bytes: Buffer,
  depth: 'uchar' | 'ushort',
): Promise<{ data: Buffer; width: number; height: number; channels: number } | null> {
  const ifd = readFirstIfd(bytes);
  if (ifd?.get(TAG.planar)?.[0] !== 2) return null;
  const spp = ifd.get(TAG.samplesPerPixel)?.[0] ?? 1;
  const offsets = ifd.get(TAG.tileOffsets);
  const counts = ifd.get(TAG.tileByteCounts);
  if (!offsets || !counts || offsets.length !== counts.length || offsets.length % spp !== 0) return null;
  const perPlane = offsets.length / spp;
  const le = bytes.subarray(0, 2).toString('latin1') === 'II';
  const planes: Buffer[] = [];
  for (let p = 0; p < spp; p++) {
    const entries: Array<[number, number, number[]]> = [
      [TAG.width, LONG, ifd.get(TAG.width) ?? []],
      [TAG.length, LONG, ifd.get(TAG.length) ?? []],
      [TAG.bitsPerSample, SHORT, [ifd.get(TAG.bitsPerSample)?.[p] ?? ifd.get(TAG.bitsPerSample)?.[0] ?? 8]],
      [TAG.compression, SHORT, ifd.get(TAG.compression) ?? [1]],
      [TAG.photometric, SHORT, [1]],
      [TAG.samplesPerPixel, SHORT, [1]],
      [TAG.planar, SHORT, [1]],
      [TAG.predictor, SHORT, ifd.get(TAG.predictor) ?? [1]],
      [TAG.tileWidth, LONG, ifd.get(TAG.tileWidth) ?? []],
      [TAG.tileLength, LONG, ifd.get(TAG.tileLength) ?? []],
      [TAG.tileOffsets, LONG, offsets.slice(p * perPlane, (p + 1) * perPlane)],
      [TAG.tileByteCounts, LONG, counts.slice(p * perPlane, (p + 1) * perPlane)],
      [TAG.sampleFormat, SHORT, [ifd.get(TAG.sampleFormat)?.[p] ?? ifd.get(TAG.sampleFormat)?.[0] ?? 1]],
    ];
    const view = appendIfd(bytes, entries, le);
    // The colourspace must be named: by default sharp scales 16-bit data to 8-bit levels.
    const plane = sharp(view, { failOn: 'error' })
      .extractChannel(0)
      .toColourspace(depth === 'ushort' ? 'grey16' : 'b-w');
    planes.push(await plane.raw({ depth }).toBuffer());
  }
  const width = ifd.get(TAG.width)?.[0] ?? 0;
  const height = ifd.get(TAG.length)?.[0] ?? 0;
  const size = depth === 'ushort' ? 2 : 1;
  const data = Buffer.alloc(width * height * spp * size);
  for (let p = 0; p < spp; p++) {
    const plane = planes[p]!;
    if (plane.length !== width * height * size) return null;
    for (let i = 0; i < width * height; i++) plane.copy(data, (i * spp + p) * size, i * size, (i + 1) * size);
  }
  return { data, width, height, channels: spp };
}

function readFirstIfd(bytes: Buffer): Ifd | null {
  if (bytes.length < 8) return null;
  const order = bytes.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const u16 = (at: number) => (le ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at: number) => (le ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  if (u16(2) !== 42) return null;
  try {
    const at = u32(4);
    const ifd: Ifd = new Map();
    const n = u16(at);
    for (let i = 0; i < n; i++) {
      const e = at + 2 + i * 12;
      const [tag, type, count] = [u16(e), u16(e + 2), u32(e + 4)];
      if (type !== SHORT && type !== LONG) continue;
      const size = type === SHORT ? 2 : 4;
      const base = count * size <= 4 ? e + 8 : u32(e + 8);
      const values: number[] = [];
      for (let k = 0; k < count; k++) values.push(size === 2 ? u16(base + k * 2) : u32(base + k * 4));
      ifd.set(tag, values);
    }
    return ifd;
  } catch {
    return null; // offsets beyond the file: let sharp report the damage
  }
}

/** The file with one more IFD (sorted entries) at its end, made the first image. */
function appendIfd(bytes: Buffer, entries: Array<[number, number, number[]]>, le: boolean): Buffer {
  const start = bytes.length + (bytes.length % 2);
  const ifdSize = 2 + entries.length * 12 + 4;
  const out = Buffer.alloc(
    start +
      ifdSize +
      entries.reduce((s, [, t, v]) => s + (v.length * (t === SHORT ? 2 : 4) > 4 ? v.length * 4 : 0), 0),
  );
  bytes.copy(out, 0);
  const w16 = (v: number, at: number) => (le ? out.writeUInt16LE(v, at) : out.writeUInt16BE(v, at));
  const w32 = (v: number, at: number) => (le ? out.writeUInt32LE(v, at) : out.writeUInt32BE(v, at));
  w32(start, 4);
  w16(entries.length, start);
  let spill = start + ifdSize;
  entries.forEach(([tag, type, values], i) => {
    const e = start + 2 + i * 12;
    w16(tag, e);
    w16(type, e + 2);
    w32(values.length, e + 4);
    const size = type === SHORT ? 2 : 4;
    const inline = values.length * size <= 4;
    const at = inline ? e + 8 : spill;
    if (!inline) {
      w32(spill, e + 8);
      spill += values.length * size;
    }
    for (let k = 0; k < values.length; k++) {
      if (size === 2) w16(values[k]!, at + k * 2);
      else w32(values[k]!, at + k * 4);
    }
  });
  w32(0, start + ifdSize - 4);
  return out.subarray(0, spill);
}
