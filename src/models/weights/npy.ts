/**
 * NumPy `.npy` reader for the reference fixtures (inputs, outputs, targets): float32,
 * little-endian, C order, format versions 1 to 3. Anything else is refused with a message that
 * says what the file holds, so a fixture saved as float64 is caught rather than misread.
 */
import { readFile } from 'node:fs/promises';
import { DurnUserError } from '../../core/errors.ts';
import { found } from './wording.ts';

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function invalid(source: string, message: string): DurnUserError {
  return new DurnUserError('INVALID_INPUT', `${source}: ${message}`, { file: source });
}

/** Reads one field of the header, a Python dict literal such as `{'descr': '<f4', ...}`. */
function headerField(header: string, key: string): string | undefined {
  const m = new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`).exec(header);
  return m?.[1];
}

/** Parses a `.npy` buffer. `source` names the file in errors. */
export function parseNpy(buf: Buffer, source = 'the .npy data'): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw invalid(source, found('a NumPy .npy file (magic \\x93NUMPY)', 'the input', describeStart(buf)));
  }
  const major = buf[6]!;
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw invalid(source, 'the .npy header is truncated');
    headerLen = buf.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw invalid(source, found('.npy format version 1, 2 or 3', 'the file', `version ${major}`));
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > buf.length) throw invalid(source, 'the .npy header is truncated');
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, dataStart);

  const descr = headerField(header, 'descr')?.slice(1, -1);
  if (descr !== '<f4') {
    throw invalid(
      source,
      found("dtype '<f4' (float32, little-endian)", 'the array', JSON.stringify(descr ?? header.trim())),
    );
  }
  const fortran = headerField(header, 'fortran_order');
  if (fortran !== 'False') {
    throw invalid(source, found('C order (fortran_order False)', 'the array', `fortran_order ${fortran}`));
  }
  const shapeText = headerField(header, 'shape');
  if (shapeText === undefined) throw invalid(source, `the .npy header has no shape: ${header.trim()}`);
  const shape = shapeText
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw invalid(source, found('a shape of non-negative integers', 'the array', shapeText));
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const bytes = count * 4;
  if (buf.length - dataStart !== bytes) {
    throw invalid(
      source,
      found(
        `${bytes} bytes of data for shape [${shape.join(', ')}]`,
        'the array',
        `${buf.length - dataStart} bytes`,
      ),
    );
  }
  const offset = buf.byteOffset + dataStart;
  // A view when aligned (the usual case: headers pad the data to 64 bytes); a copy otherwise.
  const data =
    offset % 4 === 0
      ? new Float32Array(buf.buffer, offset, count)
      : new Float32Array(new Uint8Array(buf.subarray(dataStart, dataStart + bytes)).buffer);
  return { shape, data };
}

/** Reads a float32 `.npy` file. */
export async function readNpy(path: string): Promise<NpyArray> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (err) {
    throw new DurnUserError('IO', `Cannot read ${path}: ${(err as Error).message}`, {
      file: path,
      cause: err,
    });
  }
  return parseNpy(buf, path);
}

function describeStart(buf: Buffer): string {
  if (buf.length === 0) return 'an empty file';
  return `a file starting with bytes ${buf.subarray(0, 8).toString('hex')}`;
}
