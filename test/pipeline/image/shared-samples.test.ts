import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import { decodeImage } from '../../../src/pipeline/image/decode.ts';
import { encodeImage } from '../../../src/pipeline/image/encode.ts';
import { closeMetadata } from '../../../src/pipeline/metadata/exiftool.ts';
import { describeShared, sharedPath } from '../../helpers/shared.ts';

afterAll(async () => {
  await closeMetadata();
});

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Device samples as 16-bit integers straight from the decoded floats (exact: v = k / 65535). */
function toU16(data: Float32Array): Uint16Array {
  return Uint16Array.from(data, (v) => Math.round(v * 65535));
}

/** Interleaved 16-bit samples read independently with sharp (profile kept: no colour conversion). */
async function sharp16(
  input: Buffer | string,
  grey: boolean,
): Promise<{ data: Uint16Array; channels: number }> {
  const { data, info } = await sharp(input, { failOn: 'none' })
    .keepIccProfile()
    .toColourspace(grey ? 'grey16' : 'rgb16')
    .raw({ depth: 'ushort' })
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint16Array(data.buffer, data.byteOffset, data.length / 2), channels: info.channels };
}

/** Files refused on purpose: float and signed samples are scientific data, not photos. */
const REFUSED_16 = {
  'exampletiffs/spring.tif': 'float',
  'exampletiffs/earthlab.tif': 'signed',
} as const;

describeShared('16-bit samples (PngSuite, Pillow, libtiff) decode at full precision', () => {
  const root = sharedPath('data/samples/sixteen-bit');
  let count = { decoded: 0, refused: 0, eightBit: 0 };

  it('every file decodes with 16-bit precision and round-trips bit-exactly, or is refused clearly', async () => {
    const files = await filesUnder(root);
    expect(files.length).toBeGreaterThan(40);
    count = { decoded: 0, refused: 0, eightBit: 0 };
    const failures: string[] = [];
    for (const file of files) {
      const rel = relative(root, file);
      const refusal = REFUSED_16[rel as keyof typeof REFUSED_16];
      if (refusal) {
        const err = await decodeImage(file).catch((e: unknown) => e);
        expect(err, rel).toBeInstanceOf(DurnUserError);
        expect(err, rel).toMatchObject({ code: 'UNSUPPORTED_FORMAT', file });
        expect((err as Error).message, rel).toContain(basename(file));
        expect((err as Error).message, rel).toMatch(/unsigned integer samples/);
        count.refused++;
        continue;
      }
      const dec = await decodeImage(file);
      if (dec.bitDepth === 8) {
        // Pillow's *_target.png references are 8-bit on purpose; nothing else here may be.
        expect(rel, 'only the 8-bit reference PNGs decode as 8-bit').toMatch(/_target\.png$/);
        count.eightBit++;
        continue;
      }
      expect(dec.colourTransform, rel).toMatch(/identity|grey|matrix/);
      const grey = dec.isGrey;
      // Independent read, interleaved; our planar floats must hold exactly the same integers.
      // libvips cannot read tiled separate planes at all; the same picture stored as strips can be.
      const refFile = file.replace('tiff_tiled_planar_', 'tiff_strip_planar_');
      const ref = await sharp16(refFile, grey);
      const ours = toU16(dec.pixels.data);
      const n = dec.width * dec.height;
      const colours = dec.pixels.channels;
      let mismatch = 0;
      for (let i = 0; i < n && mismatch === 0; i++)
        for (let c = 0; c < colours; c++) if (ours[c * n + i] !== ref.data[i * ref.channels + c]) mismatch++;
      if (dec.colourTransform !== 'identity') mismatch = 0; // matrix profiles: compared after encode below
      if (mismatch) failures.push(`${rel}: differs from sharp's 16-bit read`);
      // Real 16-bit data, not 8-bit data scaled up: some low bytes are not copies of the high byte.
      const scaled8 = ours.every((v) => (v & 0xff) === v >> 8);
      // (PngSuite's gamma images g03…g25n0g16 really are 8-bit ramps stored as v·257.)
      if (scaled8 && !/^pngsuite\/g\d\dn0g16\.png$/.test(rel)) failures.push(`${rel}: only 8-bit precision`);
      // Round trip through both 16-bit formats, bit-exact against the source's own samples.
      for (const format of ['png', 'tiff'] as const) {
        const out = await encodeImage(dec, {
          format,
          bitDepth: 16,
          iccProfile: dec.iccProfile,
        });
        expect((await sharp(out).metadata()).depth, `${rel} → ${format}`).toBe('ushort');
        const back = await decodeImage(out, { name: `${rel}.${format}` });
        expect(back.bitDepth).toBe(16);
        const a = toU16(back.pixels.data);
        if (!a.every((v, i) => v === ours[i])) failures.push(`${rel} → ${format}: colour samples changed`);
        if (dec.alpha && !toU16(back.alpha!).every((v, i) => v === toU16(dec.alpha!)[i]))
          failures.push(`${rel} → ${format}: alpha changed`);
      }
      count.decoded++;
    }
    expect(failures).toEqual([]);
    expect(count.refused).toBe(2);
    expect(count.decoded).toBeGreaterThan(35);
    console.log(
      `sixteen-bit samples: ${count.decoded} decoded at 16 bits and round-tripped, ${count.refused} refused (float, signed), ${count.eightBit} 8-bit references`,
    );
  });

  it('planar and tiled-planar TIFFs decode to the same pixels as the chunky one', async () => {
    const pillow = join(root, 'pillow');
    const chunky = await decodeImage(join(pillow, 'tiff_16bit_RGB.tiff'));
    for (const name of ['tiff_strip_planar_16bit_RGB.tiff', 'tiff_tiled_planar_16bit_RGB.tiff']) {
      const planar = await decodeImage(join(pillow, name));
      expect([planar.width, planar.height, planar.bitDepth]).toEqual([chunky.width, chunky.height, 16]);
      expect(toU16(planar.pixels.data), name).toEqual(toU16(chunky.pixels.data));
    }
  });
});

/** Extensions in ExifTool's test set that are not images durn may read (audio, video, text, ...). */
const NOT_IMAGES =
  /\.(txt|csv|pdf|mp3|aac|aif|ape|mpc|flac|ogg|opus|wav|m4a|ra|ram|rm|wmv|mov|mkv|avi|mts|dv|flv|swf|mxf|wtv|json|html|xml|xmp|gpx|kml|igc|log|rtf|docx|ods|numbers|ppt|zip|gz|rar|iso|exe|dylib|elf|so|macho|a|ttf|afm|pfa|pfb|pfm|dfont|torrent|vcf|ics|lnk|url|plist|aae|tnef|pcapng|mobi|indd|inx|eps|fit|icc)$/i;

describeShared('files that are not (supported) images', () => {
  const root = sharedPath('data/samples/exiftool-test-images');

  it('every ExifTool test file decodes or is refused with a DurnUserError naming it', async () => {
    const files = await filesUnder(root);
    expect(files.length).toBeGreaterThan(150);
    const decoded: string[] = [];
    const refused: Record<string, number> = {};
    const wrong: string[] = [];
    for (const file of files) {
      const name = basename(file);
      try {
        // Half of them as a Buffer: the message must then name the file given as `name`.
        const result =
          decoded.length % 2 === 0
            ? await decodeImage(file)
            : await decodeImage(await readFile(file), { name: file });
        expect(result.width * result.height, name).toBeGreaterThan(0);
        expect(result.pixels.data.length).toBe(result.width * result.height * result.pixels.channels);
        decoded.push(name);
        if (NOT_IMAGES.test(name)) wrong.push(`${name}: decoded although not an image`);
      } catch (err) {
        if (!(err instanceof DurnUserError)) {
          wrong.push(`${name}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
          continue;
        }
        if (!err.message.includes(name)) wrong.push(`${name}: message does not name it: ${err.message}`);
        if (!/^Expected .+ for .+ but received .+/s.test(err.message))
          wrong.push(`${name}: wording: ${err.message}`);
        refused[err.code] = (refused[err.code] ?? 0) + 1;
      }
    }
    expect(wrong).toEqual([]);
    const nonImages = files.filter((f) => NOT_IMAGES.test(basename(f)));
    expect(nonImages.length).toBeGreaterThan(60);
    expect(decoded).toEqual(expect.arrayContaining(['PNG.png', 'GIF.gif', 'RIFF.webp', 'Canon.jpg']));
    const refusedTotal = Object.values(refused).reduce((s, n) => s + n, 0);
    expect(decoded.length + refusedTotal).toBe(files.length);
    console.log(
      `exiftool-test-images: ${files.length} files, ${decoded.length} decoded, ${refusedTotal} refused (${Object.entries(
        refused,
      )
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}), ${nonImages.length} known non-images all refused`,
    );
  });
});
