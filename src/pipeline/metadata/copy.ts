/**
 * Carrying a photo's metadata onto its restored copy: every tag group ExifTool can write (EXIF
 * with maker notes, GPS, XMP, IPTC, comments) is copied from the source, then the tags that the
 * restoration made untrue are fixed, and a provenance record is appended to XMP-xmpMM:History.
 *
 * The ICC profile is deliberately not copied: encodeImage embeds the profile that matches the
 * pixels it wrote (the original one, or sRGB where the original could not be reproduced).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { DurnUserError, expected } from '../../core/errors.ts';
import { getExifTool } from './exiftool.ts';
import { readRawGpsPosition } from './gps-repair.ts';

export interface Provenance {
  readonly software: string;
  readonly version: string;
  /** e.g. ["denoise", "dehaze"]. */
  readonly tasks: readonly string[];
  /** Options that shaped the result (tiling, preset, strength ...), JSON-serialisable. */
  readonly options: Readonly<Record<string, unknown>>;
  /** One entry per network run: its name and the SHA-256 of its weights. */
  readonly weights: readonly { readonly network: string; readonly sha256: string }[];
  readonly when?: Date;
}

const ProvenanceSchema = z.object({
  software: z.string().min(1),
  version: z.string().min(1),
  tasks: z.array(z.string()),
  options: z.record(z.string(), z.unknown()),
  weights: z.array(z.object({ network: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
  when: z.date().optional(),
});

export interface CopyMetadataOptions {
  readonly provenance?: Provenance;
}

/** Sizes/regions that describe the old pixels; rewritten to the output's size when present. */
const WIDTH_TAGS = ['ExifIFD:ExifImageWidth', 'XMP-exif:PixelXDimension', 'XMP-tiff:ImageWidth'] as const;
const HEIGHT_TAGS = ['ExifIFD:ExifImageHeight', 'XMP-exif:PixelYDimension', 'XMP-tiff:ImageLength'] as const;

/**
 * Copies metadata from `source` onto `target` in place. `target` must be durn's own freshly
 * written output (it is rewritten with -overwrite_original); the source is only read.
 */
export async function copyMetadata(
  source: string,
  target: string,
  opts: CopyMetadataOptions = {},
): Promise<void> {
  const provenance = opts.provenance === undefined ? undefined : ProvenanceSchema.parse(opts.provenance);
  const scratch = await mkdtemp(join(tmpdir(), 'durn-meta-'));
  try {
    const [src, dims] = await Promise.all([
      getExifTool().readRaw(source, { readArgs: ['-G1', '-a', '-n', '-fast'] }) as Promise<
        Record<string, unknown>
      >,
      sharp(target).metadata(),
    ]);
    // Pass 1, copy. -n copies raw values (print-converted copies round rationals and GPS); the
    // XMP block is copied whole so namespaces ExifTool does not know (GIMP, Exiv2 quirks) survive.
    // The thumbnail IFD and previews show the unrestored pixels, so they are not copied.
    const copy = [
      '-n',
      '-tagsFromFile',
      source,
      '-all:all',
      '-xmp',
      '-unsafe',
      '--ICC_Profile:all',
      '--IFD1:all',
      // Composite tags are computed, not stored; "copying" one writes its source tags back from the
      // computed value. A GPS position ExifTool cannot compute (seconds 0/0) reads as "", and writing
      // that "" through Composite:GPSLatitude deleted the stored GPSLatitudeRef as well.
      '--Composite:all',
    ];
    copy.push('--PreviewImage', '--PreviewImageStart', '--PreviewImageLength');
    // ExifTool writes IPTC as Latin-1 and drops the UTF-8 marker unless told; keep UTF-8 sources UTF-8.
    if (src['IPTC:CodedCharacterSet'] === '\u001b%G')
      copy.push('-charset', 'iptc=UTF8', '-IPTC:CodedCharacterSet=UTF8');
    // The digest lets Photoshop detect IPTC edited behind its back; recompute it for the new IPTC.
    if ('Photoshop:IPTCDigest' in src) copy.push('-Photoshop:IPTCDigest=new');
    copy.push('-overwrite_original');
    // A source without any metadata (sharp output, screenshots) is normal: nothing to copy.
    await write(target, copy, { nothingToCopy: source });
    // Pass 2, fix: a block write overrides individual XMP edits made in the same command.
    const fix = ['-Orientation#=1'];
    for (const tag of WIDTH_TAGS) if (tag in src) fix.push(`-${tag}#=${dims.width}`);
    for (const tag of HEIGHT_TAGS) if (tag in src) fix.push(`-${tag}#=${dims.height}`);
    if ('IFD1:ThumbnailImage' in src && dims.format === 'jpeg') {
      // Regenerate the EXIF thumbnail from the restored pixels (160 px, as cameras write it).
      const thumb = join(scratch, 'thumb.jpg');
      await sharp(target).resize(160, 160, { fit: 'inside' }).jpeg({ quality: 85 }).toFile(thumb);
      fix.push(`-ThumbnailImage<=${thumb}`);
    }
    fix.push(...(await gpsRepair(source, src)));
    if (provenance) fix.push(`-XMP-xmpMM:History+=${historyEntry(provenance)}`);
    fix.push('-overwrite_original');
    await write(target, fix);
  } catch (err) {
    if (err instanceof DurnUserError) throw err;
    throw new DurnUserError(
      'IO',
      `Could not copy metadata from ${source} to ${target}: ${err instanceof Error ? err.message : String(err)}`,
      {
        file: source,
        cause: err,
      },
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function write(
  target: string,
  writeArgs: string[],
  opts: { nothingToCopy?: string } = {},
): Promise<void> {
  // write() adds the UTF-8 filename charset, -sep and struct=2, then these args, then the target.
  // useMWG: false is also the shared instance's default; named here because the copy depends on it.
  const result = await getExifTool().write(target, {}, { writeArgs, ignoreMinorErrors: true, useMWG: false });
  if (result.updated + result.created === 1) return;
  const warnings = result.warnings ?? [];
  // ExifTool leaves the target untouched and says only this when the source has no tags to copy.
  const empty = `No writable tags set from ${opts.nothingToCopy}`;
  // Across formats (a PNG without metadata restored as JPEG) it says nothing and leaves it unchanged.
  if (
    opts.nothingToCopy !== undefined &&
    result.updated + result.created === 0 &&
    (warnings.length > 0 ? warnings.every((w) => w.endsWith(empty)) : result.unchanged === 1)
  ) {
    return;
  }
  throw new DurnUserError(
    'IO',
    expected(
      'metadata written',
      `output ${target}`,
      warnings.length > 0 ? warnings.join('; ') : 'nothing written',
    ),
    { file: target },
  );
}

/**
 * Args that write back a GPS coordinate ExifTool read as "" (seconds stored as 0/0) from its
 * stored degrees and minutes; the *Ref tags were copied as they are.
 */
async function gpsRepair(source: string, src: Record<string, unknown>): Promise<string[]> {
  if (src['GPS:GPSLatitude'] !== '' && src['GPS:GPSLongitude'] !== '') return [];
  const { exif } = await sharp(source).metadata();
  if (!exif) return [];
  const pos = readRawGpsPosition(exif);
  const args: string[] = [];
  if (src['GPS:GPSLatitude'] === '' && pos.latitude !== undefined)
    args.push(`-GPS:GPSLatitude#=${pos.latitude}`);
  if (src['GPS:GPSLongitude'] === '' && pos.longitude !== undefined)
    args.push(`-GPS:GPSLongitude#=${pos.longitude}`);
  return args;
}

/** One XMP ResourceEvent, serialised for ExifTool's struct syntax (`|` escapes specials). */
export function historyEntry(p: z.infer<typeof ProvenanceSchema>): string {
  const esc = (s: string) => s.replace(/[|,\]}[{]/g, (c) => `|${c}`).replace(/^\s/, (c) => `|${c}`);
  const parameters = JSON.stringify({ tasks: p.tasks, options: p.options, weights: p.weights });
  const when = (p.when ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `{Action=restored,SoftwareAgent=${esc(`${p.software} ${p.version}`)},Changed=/,When=${when},Parameters=${esc(parameters)}}`;
}

/** Reads the provenance records durn wrote into a file (newest last). */
export async function readProvenance(file: string): Promise<Array<Record<string, unknown>>> {
  const tags = (await getExifTool().readRaw(file, {
    readArgs: ['-G1', '-struct', '-XMP-xmpMM:History'],
  })) as Record<string, unknown>;
  const history = tags['XMP-xmpMM:History'];
  const events = Array.isArray(history) ? history : history ? [history] : [];
  return events
    .filter(
      (e): e is Record<string, unknown> =>
        typeof e === 'object' && e !== null && (e as Record<string, unknown>).Action === 'restored',
    )
    .map((e) => ({
      ...e,
      Parameters: typeof e.Parameters === 'string' ? JSON.parse(e.Parameters) : e.Parameters,
    }));
}
