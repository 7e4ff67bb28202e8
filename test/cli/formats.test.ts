/**
 * Formats through the real binary: a format change works for inputs without metadata, data that
 * does not match its name is read by content (and said so), grey+alpha keeps its alpha,
 * multi-page TIFFs and animated GIFs are refused with a clear reason (single GIFs are found in
 * folders and written as PNG), and HEIC output is refused rather than AVIF under a .heic name.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureBuilt, runDurn } from '../helpers/binary.ts';
import { writeScratchWeights } from '../helpers/models.ts';

let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'durn-formats-'));
  await writeScratchWeights(join(dir, 'models'), 'denoise');
  env = { DURN_MODELS_DIR: join(dir, 'models') };
}, 300_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const restore = (...args: string[]) =>
  runDurn(['restore', '--task', 'denoise', '--workers', '1', ...args], { env });
const colour = (w = 24, h = 24) =>
  sharp({ create: { width: w, height: h, channels: 3, background: '#406080' } });

describe('formats', () => {
  test('PNG without metadata to JPEG, WebP, TIFF and AVIF', async () => {
    const png = join(dir, 'plain.png');
    await colour().png().toFile(png);
    for (const format of ['jpeg', 'webp', 'tiff', 'avif']) {
      const out = join(dir, `plain-${format}`);
      const r = await restore(png, '--out', out, '--format', format);
      expect(r.code, r.stderr).toBe(0);
      const [file] = await readdir(out);
      expect((await sharp(join(out, file!)).metadata()).format).toBe(format === 'avif' ? 'heif' : format);
    }
  });

  test('PNG data named .jpg: read by content, said so, written as its name says', async () => {
    const misnamed = join(dir, 'misnamed.jpg');
    await colour().png().toFile(misnamed);
    const r = await restore(misnamed, '--out', join(dir, 'misnamed-out'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/misnamed\.jpg holds PNG data under a \.jpg name; read as PNG/);
    expect((await sharp(join(dir, 'misnamed-out', 'misnamed.jpg')).metadata()).format).toBe('jpeg');
  });

  test('grey+alpha PNG keeps its alpha, as RGBA does', async () => {
    const px = Buffer.alloc(16 * 16 * 2);
    for (let i = 0; i < 256; i++) {
      px[2 * i] = 90 + (i % 7);
      px[2 * i + 1] = i;
    }
    const ga = join(dir, 'ga.png');
    await sharp(px, { raw: { width: 16, height: 16, channels: 2 } })
      .toColourspace('b-w')
      .png()
      .toFile(ga);
    const r = await restore(ga, '--out', join(dir, 'ga-out'));
    expect(r.code, r.stderr).toBe(0);
    const out = join(dir, 'ga-out', 'ga.png');
    expect(await sharp(out).metadata()).toMatchObject({ channels: 2, hasAlpha: true });
    const alpha = await sharp(out).extractChannel('alpha').raw().toBuffer();
    expect([...alpha]).toEqual([...px.filter((_, i) => i % 2 === 1)]);
  });

  test('multi-page TIFF and animated GIF refused with the reason; a single GIF in a folder becomes a PNG', async () => {
    const folder = join(dir, 'pages');
    await mkdir(folder);
    const frames = await Promise.all(
      ['#f00', '#0f0', '#00f'].map((c) =>
        sharp({ create: { width: 16, height: 16, channels: 3, background: c } })
          .png()
          .toBuffer(),
      ),
    );
    await sharp(frames, { join: { animated: true } })
      .gif()
      .toFile(join(folder, 'anim.gif'));
    await sharp(frames, { join: { animated: true } })
      .tiff()
      .toFile(join(folder, 'scan.tif'));
    await writeFile(join(folder, 'still.gif'), await colour(16, 16).gif().toBuffer());
    const r = await restore(folder, '--out', join(dir, 'pages-out'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /anim\.gif: FAILED: Expected a single image for input .*anim\.gif but received an animated GIF of 3 frames/,
    );
    expect(r.stderr).toMatch(
      /scan\.tif: FAILED: Expected a single image for input .*scan\.tif but received a TIFF of 3 pages/,
    );
    expect(await readdir(join(dir, 'pages-out'))).toEqual(['still.png']);
    expect((await sharp(join(dir, 'pages-out', 'still.png')).metadata()).format).toBe('png');
  });

  test('--format heif is refused: no HEVC encoder, and AV1 under .heic would be AVIF misnamed', async () => {
    const png = join(dir, 'plain.png');
    const r = await restore(png, '--out', join(dir, 'heif-out'), '--format', 'heif');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/argument 'heif' is invalid/);
  });
});
