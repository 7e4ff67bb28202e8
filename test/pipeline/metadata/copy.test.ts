import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/pipeline/image/decode.ts';
import { defaultEncodeOptions, encodeImage } from '../../../src/pipeline/image/encode.ts';
import { addedTag, changingTag } from '../../../src/pipeline/metadata/changing-tags.ts';
import { copyMetadata, type Provenance, readProvenance } from '../../../src/pipeline/metadata/copy.ts';
import { closeMetadata, getExifTool } from '../../../src/pipeline/metadata/exiftool.ts';
import { describeShared, sharedPath } from '../../helpers/shared.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-meta-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await closeMetadata();
});

const SHA = 'ab'.repeat(32);
const provenance: Provenance = {
  software: 'durn',
  version: '0.1.0',
  tasks: ['denoise', 'dehaze'],
  options: { tile: 256, note: 'a, b | {c} [d] & <e> "f" ©' },
  weights: [{ network: 'durn-p-denoise', sha256: SHA }],
  when: new Date('2024-05-06T07:08:09Z'),
};

async function readTags(file: string): Promise<Record<string, unknown>> {
  // -b: binary tags (maker notes, ICC, thumbnails) as base64, so they compare byte for byte.
  return (await getExifTool().readRaw(file, { readArgs: ['-G1', '-a', '-n', '-b'] })) as Record<
    string,
    unknown
  >;
}

function expectProvenance(events: Array<Record<string, unknown>>): void {
  expect(events).toHaveLength(1);
  expect(events[0]).toMatchObject({
    Action: 'restored',
    SoftwareAgent: 'durn 0.1.0',
    Parameters: {
      tasks: ['denoise', 'dehaze'],
      options: provenance.options,
      weights: [{ network: 'durn-p-denoise', sha256: SHA }],
    },
  });
  expect(String(events[0]!.When)).toMatch(/^2024:05:06 07:08:09/);
}

describe('copyMetadata from a source without metadata', () => {
  for (const format of ['jpeg', 'png'] as const) {
    it(`${format}: copies nothing, succeeds and still writes the provenance`, async () => {
      const img = sharp({ create: { width: 40, height: 30, channels: 3, background: '#4080c0' } });
      const ext = format === 'jpeg' ? 'jpg' : 'png';
      const src = join(dir, `bare-src.${ext}`);
      const dst = join(dir, `bare-dst.${ext}`);
      await img.clone().toFormat(format).toFile(src); // no withMetadata(): no EXIF/XMP/IPTC/ICC
      await img.clone().toFormat(format).toFile(dst);
      const before = await readTags(src);
      expect(Object.keys(before).filter((k) => /^(IFD0|ExifIFD|XMP-|IPTC|ICC)/.test(k))).toEqual([]);
      await copyMetadata(src, dst, { provenance });
      expectProvenance(await readProvenance(dst));
      const meta = await sharp(dst).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, 40, 30]);
    });
  }

  it('without provenance as well, leaving the target readable', async () => {
    const src = join(dir, 'bare2.jpg');
    const dst = join(dir, 'bare2-out.jpg');
    const img = sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).jpeg();
    await img.toFile(src);
    await img.toFile(dst);
    await copyMetadata(src, dst);
    expect(await readProvenance(dst)).toEqual([]);
    expect((await sharp(dst).metadata()).width).toBe(8);
  });

  it('still fails, naming the output, when the target cannot be written', async () => {
    const src = join(dir, 'bare3.jpg');
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .jpeg()
      .withMetadata()
      .toFile(src);
    const missing = join(dir, 'no-such-dir', 'out.jpg');
    await expect(copyMetadata(src, missing, { provenance })).rejects.toMatchObject({
      name: 'DurnUserError',
      message: expect.stringContaining('out.jpg'),
    });
  });
});

/** Equal, or both numbers (or numeric strings: ExifTool prints long rationals as strings) within 1e-6 relative. */
function sameValue(a: unknown, b: unknown): boolean {
  if (JSON.stringify(a) === JSON.stringify(b)) return true;
  const num = (v: unknown) =>
    typeof v === 'number'
      ? v
      : typeof v === 'string' && /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v)
        ? Number(v)
        : NaN;
  const [x, y] = [num(a), num(b)];
  return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= 1e-6 * Math.max(Math.abs(x), 1e-300);
}

/**
 * Per-file exceptions, each checked for its exact expected output value:
 * the Nikon stores its position as degrees + decimal minutes with seconds 0/0, which ExifTool
 * reads as "" (verbose: 48/1 5332358/100000 0/0 and 21/1 259507/100000 0/0); durn writes the
 * same position back as D/M/S, so the output reads as real decimal degrees.
 */
const REPAIRED: Record<string, Record<string, number>> = {
  'Nikon D5000.jpg': {
    'GPS:GPSLatitude': 48 + 53.32358 / 60,
    'GPS:GPSLongitude': 21 + 2.59507 / 60,
  },
};

/** decode → encode (same format) → copyMetadata, then every source tag compared with the output. */
async function roundTrip(folder: string, name: string) {
  const src = join(folder, name);
  const decoded = await decodeImage(src);
  const out = join(dir, name);
  await writeFile(out, await encodeImage(decoded, defaultEncodeOptions(decoded)));
  await copyMetadata(src, out, { provenance });
  const [a, b] = await Promise.all([readTags(src), readTags(out)]);
  const profileReplaced = decoded.colourTransform === 'lcms';
  const problems: string[] = [];
  let compared = 0;
  for (const [tag, value] of Object.entries(a)) {
    const rule = changingTag(tag);
    if (rule && (rule.only !== 'profile-replaced' || profileReplaced)) continue;
    const repaired = REPAIRED[name]?.[tag];
    if (repaired !== undefined) {
      expect(value).toBe('');
      expect(b[tag]).toBeCloseTo(repaired, 8);
      continue;
    }
    compared++;
    if (!(tag in b)) problems.push(`${tag} missing (was ${JSON.stringify(value).slice(0, 60)})`);
    else if (!sameValue(value, b[tag]))
      problems.push(`${tag}: ${JSON.stringify(value).slice(0, 60)} → ${JSON.stringify(b[tag]).slice(0, 60)}`);
  }
  for (const tag of Object.keys(b)) if (!(tag in a) && !addedTag(tag)) problems.push(`${tag} added`);
  return { a, b, decoded, out, problems, compared };
}

describeShared('metadata survives decode → encode → copyMetadata on camera JPEGs', () => {
  const folder = sharedPath('data/samples/metadata-jpeg');
  const files: string[] = [];
  beforeAll(async () => {
    files.push(...(await readdir(folder)).filter((f) => /\.jpe?g$/i.test(f)).sort());
  });

  it('finds the 8 camera samples', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  // One test per file, named after it; the list is fixed so vitest can name tests up front.
  for (const name of [
    'Apple iPhone 4.jpg',
    'Canon EOS 7D.jpg',
    'Canon EOS D60.jpg',
    'FujiFilm FinePixS2Pro.jpg',
    'Issue 600 (2).jpg',
    'Multiple ICC segments.jpg',
    'Nikon D5000.jpg',
    'Photoshop (3).jpg',
  ]) {
    it(name, async () => {
      expect(files).toContain(name);
      const { a, b, decoded, out, problems, compared } = await roundTrip(folder, name);
      const profileReplaced = decoded.colourTransform === 'lcms';
      expect(problems).toEqual([]);
      // Every sample is rich (EXIF, XMP, IPTC or ICC): the loop really compared something.
      expect(compared).toBeGreaterThan(20);

      // The groups photographers care about are really there and were compared.
      for (const group of ['IFD0:', 'ExifIFD:'])
        expect(Object.keys(a).some((k) => k.startsWith(group))).toBe(true);
      if (profileReplaced) {
        // CMYK source: the output is sRGB and its embedded profile must say so.
        expect(String(b['ICC-header:ColorSpaceData']).trim()).toBe('RGB');
        expect((await sharp(out).metadata()).space).toBe('srgb');
      } else if (decoded.iccProfile) {
        expect(b['ICC_Profile:ProfileDescription']).toBe(a['ICC_Profile:ProfileDescription']);
      }
      expect(b['IFD0:Orientation'] ?? 1).toBe(1);
      expectProvenance(await readProvenance(out));
    });
  }

  it('covers GPS, XMP, IPTC, Photoshop and ICC across the set (maker notes: see below)', async () => {
    const groups = new Set<string>();
    for (const name of files)
      for (const tag of Object.keys(await readTags(join(folder, name)))) groups.add(tag.split(':')[0]!);
    for (const g of ['GPS', 'IPTC', 'ICC_Profile', 'XMP-dc', 'ExifIFD', 'XMP-crs', 'Photoshop'])
      expect(groups).toContain(g);
  });
});

/** Camera JPEGs from ExifTool's own test set whose maker notes ExifTool can rewrite. */
const MAKER_NOTE_SAMPLES: Record<string, string> = {
  'Canon.jpg': 'Canon',
  'Nikon.jpg': 'Nikon',
  'NikonD70.jpg': 'Nikon',
  'FujiFilm.jpg': 'FujiFilm',
  'Olympus.jpg': 'Olympus',
  'Minolta.jpg': 'Minolta',
  'Casio2.jpg': 'Casio',
};

describeShared('maker notes survive decode → encode → copyMetadata', () => {
  const folder = sharedPath('data/samples/exiftool-test-images');
  for (const [name, group] of Object.entries(MAKER_NOTE_SAMPLES)) {
    it(`${name}: every ${group} maker-note tag and every other tag`, async () => {
      const { a, b, problems } = await roundTrip(folder, name);
      expect(problems).toEqual([]);
      // Maker-note previews show the unrestored pixels and are dropped on purpose (CHANGING_TAGS).
      const notes = Object.keys(a).filter((k) => k.startsWith(`${group}:`) && !changingTag(k));
      expect(notes.length).toBeGreaterThan(5);
      for (const tag of notes) expect(b[tag], tag).toEqual(a[tag]);
    });
  }
});
