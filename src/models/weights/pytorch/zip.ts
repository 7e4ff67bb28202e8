/**
 * A small read-only zip reader for PyTorch checkpoints (which are zip archives since 1.6): the
 * central directory is the index, entries are stored (PyTorch's own writer) or deflated (a
 * checkpoint re-zipped by hand). Stored entries come back as views into the file buffer, so a
 * 50 MB checkpoint is not copied; every entry's CRC-32 is checked, so a damaged download is
 * refused instead of turning into wrong weights. Zip64 and encryption are detected and refused.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { DurnUserError } from '../../../core/errors.ts';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
  readonly flags: number;
}

const EOCD_SIG = 0x06054b50;
const CDH_SIG = 0x02014b50;
const LFH_SIG = 0x04034b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;

export function isZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === LFH_SIG;
}

export class ZipReader {
  readonly entries: ReadonlyMap<string, ZipEntry>;
  private readonly buf: Buffer;
  private readonly source: string;

  constructor(buf: Buffer, source: string) {
    this.buf = buf;
    this.source = source;
    this.entries = this.readCentralDirectory();
  }

  private fail(what: string): DurnUserError {
    return new DurnUserError('CHECKPOINT_INVALID', `${this.source} is not a readable zip archive: ${what}`, {
      file: this.source,
      hint: 'The file may be truncated or damaged; download or copy it again.',
    });
  }

  private findEndOfCentralDirectory(): number {
    const b = this.buf;
    // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
    const stop = Math.max(0, b.length - 22 - 0xffff);
    for (let i = b.length - 22; i >= stop; i--) {
      if (b.readUInt32LE(i) === EOCD_SIG && i + 22 + b.readUInt16LE(i + 20) === b.length) return i;
    }
    throw this.fail('no end-of-central-directory record (the archive is truncated)');
  }

  private readCentralDirectory(): Map<string, ZipEntry> {
    const b = this.buf;
    const eocd = this.findEndOfCentralDirectory();
    const count = b.readUInt16LE(eocd + 10);
    const cdSize = b.readUInt32LE(eocd + 12);
    const cdOffset = b.readUInt32LE(eocd + 16);
    // PyTorch always writes a zip64 record too; it matters only when the classic fields saturate.
    const hasZip64 = eocd >= 20 && b.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIG;
    if (
      (hasZip64 && count === 0xffff) ||
      count === 0xffff ||
      cdSize === 0xffffffff ||
      cdOffset === 0xffffffff
    ) {
      throw new DurnUserError(
        'CHECKPOINT_INVALID',
        `${this.source} is a zip64 archive (over 4 GB or 65535 entries), which durn does not read`,
        { file: this.source },
      );
    }
    if (b.readUInt16LE(eocd + 4) !== 0 || b.readUInt16LE(eocd + 6) !== 0) {
      throw this.fail('multi-disk archives are not supported');
    }
    if (cdOffset + cdSize > eocd) throw this.fail('the central directory lies outside the file');
    const entries = new Map<string, ZipEntry>();
    let p = cdOffset;
    for (let i = 0; i < count; i++) {
      if (p + 46 > eocd || b.readUInt32LE(p) !== CDH_SIG)
        throw this.fail(`central directory entry ${i} is damaged`);
      const nameLen = b.readUInt16LE(p + 28);
      const extraLen = b.readUInt16LE(p + 30);
      const commentLen = b.readUInt16LE(p + 32);
      const entry: ZipEntry = {
        flags: b.readUInt16LE(p + 8),
        method: b.readUInt16LE(p + 10),
        crc: b.readUInt32LE(p + 16),
        compressedSize: b.readUInt32LE(p + 20),
        size: b.readUInt32LE(p + 24),
        localHeaderOffset: b.readUInt32LE(p + 42),
        name: b.toString('utf8', p + 46, p + 46 + nameLen),
      };
      if (
        entry.compressedSize === 0xffffffff ||
        entry.size === 0xffffffff ||
        entry.localHeaderOffset === 0xffffffff
      ) {
        throw new DurnUserError(
          'CHECKPOINT_INVALID',
          `${this.source} uses zip64 entries, which durn does not read`,
          {
            file: this.source,
          },
        );
      }
      entries.set(entry.name, entry);
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  }

  /** The entry's bytes: a view into the archive when stored, a fresh buffer when deflated. */
  read(name: string): Buffer {
    const e = this.entries.get(name);
    if (!e) throw this.fail(`entry ${name} is missing`);
    const b = this.buf;
    const p = e.localHeaderOffset;
    if (p + 30 > b.length || b.readUInt32LE(p) !== LFH_SIG)
      throw this.fail(`the local header of ${name} is damaged`);
    if (e.flags & 0x1) throw this.fail(`entry ${name} is encrypted`);
    // The local header's extra field may differ from the central one (PyTorch pads it to align data).
    const start = p + 30 + b.readUInt16LE(p + 26) + b.readUInt16LE(p + 28);
    const end = start + e.compressedSize;
    if (end > b.length) throw this.fail(`entry ${name} runs past the end of the file (truncated)`);
    let data: Buffer;
    if (e.method === 0) {
      data = b.subarray(start, end);
    } else if (e.method === 8) {
      try {
        data = inflateRawSync(b.subarray(start, end));
      } catch (err) {
        throw this.fail(`entry ${name} does not inflate (${(err as Error).message})`);
      }
    } else {
      throw this.fail(
        `entry ${name} uses compression method ${e.method} (only stored and deflate are supported)`,
      );
    }
    if (data.length !== e.size) throw this.fail(`entry ${name} has ${data.length} bytes, expected ${e.size}`);
    if (crc32(data) !== e.crc) throw this.fail(`entry ${name} fails its CRC-32 check (the file is damaged)`);
    return data;
  }
}
