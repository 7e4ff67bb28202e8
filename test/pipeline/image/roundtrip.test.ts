import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../src/core/errors.ts';
import { deltaE2000, mulVec, srgbToLab, xyzToLab } from '../../../src/pipeline/image/color.ts';
import { decodeImage } from '../../../src/pipeline/image/decode.ts';
import { defaultEncodeOptions, encodeImage } from '../../../src/pipeline/image/encode.ts';
import { closeMetadata } from '../../../src/pipeline/metadata/exiftool.ts';
import { ADOBE_RGB_D50, buildMatrixProfile } from './icc-profile.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await closeMetadata();
});

const W = 256;
const H = 256;
/** Every 16-bit level once per channel, channels permuted so no two share a pattern. */
function allLevels16(channels: number): Uint16Array {
  const d = new Uint16Array(W * H * channels);
  for (let i = 0; i < W * H; i++)
    for (let c = 0; c < channels; c++) d[i * channels + c] = (i * (2 * c + 1) + c * 7919) & 0xffff;
  return d;
}
function raw16(d: Uint16Array, channels: number) {
  return sharp(d, { raw: { width: W, height: H, channels: channels as 1 | 2 | 3 | 4 } }).toColourspace(
    channels <= 2 ? 'grey16' : 'rgb16',
  );
}
async function read16(buf: Buffer, grey: boolean): Promise<Uint16Array> {
  // keepIccProfile: otherwise sharp converts tagged 16-bit data to Display P3 on the way out.
  const r = await sharp(buf)
    .keepIccProfile()
    .toColourspace(grey ? 'grey16' : 'rgb16')
    .raw({ depth: 'ushort' })
    .toBuffer();
  return new Uint16Array(r.buffer, r.byteOffset, r.length / 2);
}

describe('16-bit round trips are bit-exact', () => {
  for (const format of ['png', 'tiff'] as const) {
    for (const channels of [1, 2, 3, 4]) {
      it(`${format}, ${channels} channel(s), all 65536 levels`, async () => {
        const src = allLevels16(channels);
        const input = await (format === 'png'
          ? raw16(src, channels).png()
          : raw16(src, channels).tiff({ compression: 'lzw' })
        ).toBuffer();
        const dec = await decodeImage(input, { name: `levels.${format}` });
        expect(dec.bitDepth).toBe(16);
        expect(dec.isGrey).toBe(channels <= 2);
        expect(dec.hasAlpha).toBe(channels % 2 === 0);
        expect(dec.pixels.channels).toBe(channels <= 2 ? 1 : 3);
        // No truncation to 8 bits: the low byte carries information.
        const lowBits = new Set(
          Array.from(dec.pixels.data.subarray(0, 4096), (v) => Math.round(v * 65535) & 0xff),
        );
        expect(lowBits.size).toBeGreaterThan(200);
        const out = await encodeImage(dec, defaultEncodeOptions(dec));
        expect((await sharp(out).metadata()).depth).toBe('ushort');
        const back = await read16(out, channels <= 2);
        expect(back.length).toBe(src.length);
        expect(
          Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(src.buffer)),
        ).toBe(true);
      });
    }
  }
});

describe('8-bit round trips', () => {
  const rgba = Buffer.alloc(W * H * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 37 + (i >> 10)) & 0xff;
  for (const format of ['png', 'tiff'] as const) {
    it(`${format} RGBA is bit-exact`, async () => {
      const input = await sharp(rgba, { raw: { width: W, height: H, channels: 4 } })
        .toFormat(format, { compression: 'lzw' })
        .toBuffer();
      const dec = await decodeImage(input);
      expect(dec.bitDepth).toBe(8);
      const out = await encodeImage(dec, defaultEncodeOptions(dec));
      expect((await sharp(out).raw().toBuffer()).equals(rgba)).toBe(true);
    });
  }
  for (const [format, tolerance] of [
    ['jpeg', 3],
    ['webp', 3],
    ['avif', 4],
  ] as const) {
    it(`${format} stays within ${tolerance} levels on average`, async () => {
      const smooth = Buffer.alloc(W * H * 3);
      for (let i = 0; i < W * H; i++) {
        smooth[i * 3] = i % W;
        smooth[i * 3 + 1] = Math.floor(i / W);
        smooth[i * 3 + 2] = 128;
      }
      const input = await sharp(smooth, { raw: { width: W, height: H, channels: 3 } })
        .toFormat(format, { quality: 95 })
        .toBuffer();
      const dec = await decodeImage(input);
      expect(dec.format).toBe(format);
      const out = await encodeImage(dec, { ...defaultEncodeOptions(dec), quality: 95 });
      const back = await sharp(out).raw().toBuffer();
      let sum = 0;
      for (let i = 0; i < back.length; i++) sum += Math.abs(back[i]! - smooth[i]!);
      expect(sum / back.length).toBeLessThan(tolerance);
    });
  }
  it('refuses 16 bits for JPEG output', async () => {
    const dec = await decodeImage(
      await sharp(rgba, { raw: { width: W, height: H, channels: 4 } })
        .png()
        .toBuffer(),
    );
    await expect(encodeImage(dec, { format: 'jpeg', bitDepth: 16, iccProfile: null })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
  });
});

describe('orientation', () => {
  // A 3×2 image with a unique colour per pixel; each EXIF orientation must decode to it upright.
  const colours = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 0],
    [0, 255, 255],
    [255, 0, 255],
  ];
  const upright = Buffer.from(colours.flat());
  // Stored pixels that, displayed with orientation o, look like `upright` (inverse of the EXIF op).
  const inverse: Record<number, (s: Sharp) => Sharp> = {
    1: (s) => s,
    2: (s) => s.flop(),
    3: (s) => s.rotate(180),
    4: (s) => s.flip(),
    // sharp applies flop before rotate whatever the call order, so these two compose as transposes.
    5: (s) => s.rotate(-90).flop(),
    6: (s) => s.rotate(-90),
    7: (s) => s.rotate(90).flop(),
    8: (s) => s.rotate(90),
  };
  for (let o = 1; o <= 8; o++) {
    it(`orientation ${o} decodes upright and encodes with orientation 1`, async () => {
      const big = await sharp(upright, { raw: { width: 3, height: 2, channels: 3 } })
        .resize(48, 32, { kernel: 'nearest' })
        .png()
        .toBuffer();
      const stored = await inverse[o]!(sharp(big)).png().toBuffer();
      const jpeg = await sharp(stored)
        .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
        .withMetadata({ orientation: o })
        .toBuffer();
      const dec = await decodeImage(jpeg);
      expect(dec.orientation).toBe(o);
      expect([dec.width, dec.height]).toEqual([48, 32]);
      const n = 48 * 32;
      colours.forEach((rgb, k) => {
        const x = (k % 3) * 16 + 8;
        const y = Math.floor(k / 3) * 16 + 8;
        rgb.forEach((v, c) => {
          expect(Math.abs(dec.pixels.data[c * n + y * 48 + x]! * 255 - v)).toBeLessThan(12);
        });
      });
      const out = await encodeImage(dec, defaultEncodeOptions(dec));
      expect((await sharp(out).metadata()).orientation ?? 1).toBe(1);
    });
  }
});

describe('colour management', () => {
  const adobe = buildMatrixProfile('Adobe RGB compatible (test)', ADOBE_RGB_D50, 563 / 256);
  const rgb16 = new Uint16Array(64 * 64 * 3);
  // Smooth ramps (JPEG-friendly) plus fine 16-bit detail in the low bits.
  for (let i = 0; i < 64 * 64; i++) {
    const x = i % 64;
    const y = Math.floor(i / 64);
    rgb16[i * 3] = x * 1000 + ((i * 7) & 255);
    rgb16[i * 3 + 1] = y * 1000 + ((i * 13) & 255);
    rgb16[i * 3 + 2] = 20000 + (x + y) * 300;
  }

  async function tagged(format: 'png' | 'jpeg'): Promise<Buffer> {
    const iccPath = join(dir, 'adobe.icc');
    await writeFile(iccPath, adobe);
    const plain =
      format === 'png'
        ? await sharp(rgb16, { raw: { width: 64, height: 64, channels: 3 } })
            .toColourspace('rgb16')
            .png()
            .toBuffer()
        : await sharp(Buffer.from(Uint8Array.from(rgb16, (v) => v >> 8)), {
            raw: { width: 64, height: 64, channels: 3 },
          })
            .jpeg({ quality: 95 })
            .toBuffer();
    const file = join(dir, `adobe.${format}`);
    await writeFile(file, plain);
    const { exiftool } = await import('exiftool-vendored');
    const { getExifTool } = await import('../../../src/pipeline/metadata/exiftool.ts');
    void exiftool;
    await getExifTool().write(file, {}, { writeArgs: [`-ICC_Profile<=${iccPath}`, '-overwrite_original'] });
    return (await import('node:fs/promises')).readFile(file);
  }

  it('converts an Adobe RGB 16-bit PNG to sRGB (mean ΔE2000 < 1) and back, keeping its profile', async () => {
    const input = await tagged('png');
    const dec = await decodeImage(input);
    expect(dec.colourTransform).toBe('matrix');
    expect(dec.sourceSpace).toContain('Adobe RGB compatible');
    // Reference colorimetry straight from the primaries (not the parsed, s15-rounded profile).
    // Not lcms via sharp: libvips' sRGB profile has perceptual LUTs that desaturate (ΔE ≈ 2.3).
    const n = 64 * 64;
    let sum = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const ours = [dec.pixels.data[i]!, dec.pixels.data[n + i]!, dec.pixels.data[2 * n + i]!] as [
        number,
        number,
        number,
      ];
      if (ours.some((v) => v < 0 || v > 1)) continue; // outside sRGB: lcms clips, we keep it
      count++;
      const lin = [0, 1, 2].map((c) => (rgb16[i * 3 + c]! / 65535) ** (563 / 256)) as [
        number,
        number,
        number,
      ];
      sum += deltaE2000(srgbToLab(ours), xyzToLab(mulVec(ADOBE_RGB_D50, lin)));
    }
    expect(count).toBeGreaterThan(n / 2);
    expect(sum / count).toBeLessThan(1);
    const out = await encodeImage(dec, defaultEncodeOptions(dec));
    const meta = await sharp(out).metadata();
    expect(Buffer.from(meta.icc!).equals(adobe)).toBe(true);
    const back = await read16(out, false);
    // Exact except where a pure power curve meets black (infinite slope): there float32 noise from
    // the other, bright channels moves a near-zero sample by a few codes out of 65535.
    rgb16.forEach((v, i) => {
      if (v !== back[i])
        expect({ v, diff: Math.abs(v - back[i]!) }).toMatchObject({
          v: expect.toSatisfy((x: number) => x < 256),
        });
      expect(Math.abs(v - back[i]!)).toBeLessThanOrEqual(32); // measured max 17 (v < 256)
    });
    expect(rgb16.filter((v, i) => v !== back[i]).length).toBeLessThan(rgb16.length / 200);
  });

  it('keeps an Adobe RGB JPEG’s profile and colours (mean ΔE2000 ≤ 1 in the profile’s own Lab)', async () => {
    const input = await tagged('jpeg');
    const dec = await decodeImage(input);
    const out = await encodeImage(dec, { ...defaultEncodeOptions(dec), quality: 95 });
    expect(Buffer.from((await sharp(out).metadata()).icc!).equals(adobe)).toBe(true);
    const a = await sharp(input).keepIccProfile().raw().toBuffer(); // device values, unconverted
    const b = await sharp(out).keepIccProfile().raw().toBuffer();
    const lab = (buf: Buffer, i: number) => {
      const lin = [0, 1, 2].map((c) => (buf[i * 3 + c]! / 255) ** (563 / 256)) as [number, number, number];
      return xyzToLab(mulVec(ADOBE_RGB_D50, lin));
    };
    let sum = 0;
    for (let i = 0; i < 64 * 64; i++) sum += deltaE2000(lab(a, i), lab(b, i));
    expect(sum / (64 * 64)).toBeLessThanOrEqual(1);
  });
});

describe('bad input', () => {
  it('names the file and sharp’s reason for text, empty, truncated and missing files', async () => {
    const text = join(dir, 'photo.txt');
    await writeFile(text, 'hello, not an image');
    await expect(decodeImage(text)).rejects.toThrow(
      /Expected an image .* for input photo\.txt but received a file sharp cannot decode/,
    );
    const empty = join(dir, 'empty.jpg');
    await writeFile(empty, '');
    await expect(decodeImage(empty)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('empty file'),
    });
    const jpeg = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer();
    const cut = join(dir, 'cut.jpg');
    await writeFile(cut, jpeg.subarray(0, jpeg.length >> 1));
    const err = await decodeImage(cut).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DurnUserError);
    expect((err as DurnUserError).file).toBe(cut);
    await expect(decodeImage(join(dir, 'missing.png'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('enforces the pixel limit', async () => {
    const png = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    await expect(decodeImage(png, { maxPixels: 9999, name: 'big.png' })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
    });
    await expect(decodeImage(png, { maxPixels: 10000 })).resolves.toMatchObject({ width: 100 });
  });

  it('refuses SVG as not a photo', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    await expect(decodeImage(svg, { name: 'x.svg' })).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
  });
});
