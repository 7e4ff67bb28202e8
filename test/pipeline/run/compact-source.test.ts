/**
 * restoreFile keeps the decoded photo compact (8/16-bit samples) and converts each tile and band
 * to float as it is cut. The reference here is the earlier path, written out: sharp's raw samples
 * converted whole to planar floats (deinterleave, then the profile's deviceToWorking), restored as
 * one tensor, encoded whole. Both must give the same output pixels and profile, byte for byte, for
 * 8- and 16-bit photos with an Adobe RGB matrix profile, an alpha channel and a grey photo whose
 * alpha sharp reads on its own, tiled with a small tile.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageTensor } from '../../../src/models/engines/types.ts';
import { decodeImage, decodeSource } from '../../../src/pipeline/image/decode.ts';
import { defaultEncodeOptions, encodeImage } from '../../../src/pipeline/image/encode.ts';
import { deviceToWorking, profileTransform } from '../../../src/pipeline/image/icc.ts';
import { closeMetadata } from '../../../src/pipeline/metadata/exiftool.ts';
import { TilePool } from '../../../src/pipeline/pool/pool.ts';
import { restoreTensor } from '../../../src/pipeline/run/restore-tensor.ts';
import { runRestore } from '../../../src/pipeline/run/run.ts';
import { generateScene } from '../../../src/pipeline/samples/scenes.ts';
import { tensorSource } from '../../../src/pipeline/tiling/source.ts';
import { shrink, statisticsInput } from '../../../src/pipeline/tiling/statistics.ts';
import { cropTile, padReflect } from '../../../src/pipeline/tiling/tensor.ts';
import { getPlugin } from '../../../src/plugins/registry.ts';
import { writeScratchWeights } from '../../helpers/models.ts';
import { ADOBE_RGB_D50, buildMatrixProfile } from '../image/icc-profile.ts';

const W = 120;
const H = 90;
const TILING = { tile: 64, overlap: 16 };

interface Case {
  readonly name: string;
  readonly channels: 1 | 2 | 3 | 4;
  readonly space: 'srgb' | 'rgb16' | 'b-w' | 'grey16';
  readonly icc: boolean;
}

const CASES: readonly Case[] = [
  { name: 'rgb8-adobe-alpha.png', channels: 4, space: 'srgb', icc: true },
  { name: 'rgb16-adobe.png', channels: 3, space: 'rgb16', icc: true },
  { name: 'grey8-alpha.png', channels: 2, space: 'b-w', icc: false },
  { name: 'grey16.png', channels: 1, space: 'grey16', icc: false },
];

let dir: string;
let pool: TilePool;
const savedEnv = process.env.DURN_MODELS_DIR;

/** Deterministic texture with some alpha variation, every code value range touched. */
function samples(c: Case): Buffer {
  const max = c.space.endsWith('16') ? 65535 : 255;
  const a = max > 255 ? new Uint16Array(W * H * c.channels) : new Uint8Array(W * H * c.channels);
  for (let i = 0; i < a.length; i++) {
    const wave = (Math.sin(i * 0.013 + c.channels) + 1) / 2;
    a[i] = Math.floor((0.7 * wave + (0.3 * ((i * 2654435761) % 1000)) / 1000) * max);
  }
  return Buffer.from(a.buffer);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-compact-'));
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  await writeScratchWeights(join(dir, 'models'), 'denoise');
  await mkdir(join(dir, 'in'));
  await writeFile(join(dir, 'adobe.icc'), buildMatrixProfile('Adobe RGB test', ADOBE_RGB_D50, 563 / 256));
  for (const c of CASES) {
    let p = sharp(samples(c), { raw: { width: W, height: H, channels: c.channels } }).toColourspace(c.space);
    if (c.icc) p = p.withIccProfile(join(dir, 'adobe.icc'));
    await p.png().toFile(join(dir, 'in', c.name));
  }
  pool = new TilePool({ workers: 2, threadsPerWorker: 1, engine: 'onnx', device: 'cpu' });
});

afterAll(async () => {
  await pool?.close();
  if (savedEnv === undefined) delete process.env.DURN_MODELS_DIR;
  else process.env.DURN_MODELS_DIR = savedEnv;
  await closeMetadata();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The earlier decode: every sample converted to float at once, as the whole image. */
async function wholeFloats(
  file: string,
  c: Case,
): Promise<{ pixels: ImageTensor; alpha: Float32Array | null }> {
  const is16 = c.space.endsWith('16');
  const grey = c.channels <= 2;
  const meta = await sharp(file).metadata();
  const icc = meta.icc ? Buffer.from(meta.icc) : null;
  const { data, info } = await sharp(file)
    .keepIccProfile()
    .toColourspace(c.space)
    .raw({ depth: is16 ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const s = is16 ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2) : data;
  const levels = is16 ? 65535 : 255;
  const colours = grey ? 1 : 3;
  const n = W * H;
  const planes = new Float32Array(colours * n);
  let alpha: Float32Array | null = info.channels > colours ? new Float32Array(n) : null;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < colours; k++) planes[k * n + i] = s[i * info.channels + k]! * (1 / levels);
    if (alpha) alpha[i] = s[i * info.channels + colours]! * (1 / levels);
  }
  if (grey && c.channels === 2) {
    const a = await sharp(file).extractChannel('alpha').raw().toBuffer();
    alpha = Float32Array.from(a, (v) => v / levels);
  }
  deviceToWorking(profileTransform(icc, grey), planes, n, levels);
  return { pixels: { data: planes, channels: colours, height: H, width: W }, alpha };
}

async function pixelsOf(file: string, is16: boolean): Promise<{ data: Buffer; icc: Buffer | null }> {
  const data = await sharp(file)
    .keepIccProfile()
    .raw({ depth: is16 ? 'ushort' : 'uchar' })
    .toBuffer();
  const { icc } = await sharp(file).metadata();
  return { data, icc: icc ? Buffer.from(icc) : null };
}

describe('compact source', () => {
  it('reads any region as the whole-image conversion holds it', async () => {
    for (const c of CASES) {
      const file = join(dir, 'in', c.name);
      const { pixels, alpha } = await wholeFloats(file, c);
      const decoded = await decodeSource(file);
      const rect = { x: 17, y: 9, width: 61, height: 40 };
      expect(decoded.source.read(rect).data, c.name).toEqual(cropTile(pixels, rect).data);
      expect(decoded.alpha?.(9, 40) ?? null, c.name).toEqual(alpha?.slice(9 * W, 49 * W) ?? null);
      // decodeImage is the same conversion, whole.
      expect((await decodeImage(file)).pixels.data, c.name).toEqual(pixels.data);
    }
  });

  it('shrinks a source for the statistics pass band by band as the whole image shrinks', () => {
    const image = generateScene({ width: 301, height: 517, seed: 3 });
    const network = { sizeMultiple: 4, minSide: 16 };
    const got = statisticsInput(tensorSource(image), network, 4000);
    expect(got.factor).toBe(7);
    const small = shrink(image, 7);
    const side = (v: number) => Math.ceil(v / 4) * 4;
    const want = padReflect(small, {
      top: 0,
      left: 0,
      right: side(small.width) - small.width,
      bottom: side(small.height) - small.height,
    });
    expect(got.image).toEqual(want);
  });

  it.each(CASES)('restores $name tiled to the same output pixels as the whole-float path', async (c) => {
    const file = join(dir, 'in', c.name);
    const summary = await runRestore({
      inputs: [file],
      task: 'denoise',
      outDir: join(dir, 'out'),
      workers: 2,
      overwrite: true,
      ...TILING,
    });
    expect(summary.done).toBe(1);

    const plugin = getPlugin('denoise');
    const id = plugin.networkFor({ channels: c.channels <= 2 ? 1 : 3 });
    const { pixels, alpha } = await wholeFloats(file, c);
    const restored = await restoreTensor(
      pixels,
      [
        {
          plugin,
          options: { strength: 1 },
          weights: { [id]: join(dir, 'models', plugin.defaultWeights[id]!) },
        },
      ],
      { pool, file, emit: () => {}, tiling: TILING },
    );
    const decoded = await decodeSource(file);
    const reference = join(dir, `reference-${c.name}`);
    await writeFile(reference, await encodeImage({ pixels: restored, alpha }, defaultEncodeOptions(decoded)));

    const is16 = c.space.endsWith('16');
    const got = await pixelsOf(join(dir, 'out', c.name), is16);
    const want = await pixelsOf(reference, is16);
    expect(got.data.equals(want.data)).toBe(true);
    expect(got.icc).toEqual(want.icc);
  });
});
