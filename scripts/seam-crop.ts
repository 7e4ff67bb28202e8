/**
 * `node scripts/seam-crop.ts [--out docs/seams-deblur.jpg]`: what frozen instance-norm statistics
 * change at a tile junction of a 12-MP deblur (DuRN-U, shipped weights). The photo is a 9×9
 * mosaic of BSDS500 test photos (4329×2889, blurred σ 1.5): tiles see different scenes, which
 * is where per-tile statistics part ways. Tiles are chosen as `durn restore` chooses them on
 * this machine's CPU (tiling/choose.ts, two workers) and the junction of four tiles nearest the
 * centre is restored two ways, only the tiles that reach the crop being run:
 * - per-tile statistics (`statistics: 'tile'`, what durn did before), blended as for a
 *   global-statistics network;
 * - statistics collected over the whole photo (shrunk as restore-tensor does) and frozen.
 * Output: input | per-tile | frozen, 320×320 crops shown at 1:1 with the tile cuts marked by
 * ticks at the edges, and the largest difference between the two in the crop printed.
 */
import { readdir } from 'node:fs/promises';
import { freemem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { bundledWeightsDir } from '../src/core/config.ts';
import type { ImageTensor } from '../src/models/engines/types.ts';
import { bytesPerPixel } from '../src/models/graph/memory.ts';
import type { GraphStatistics } from '../src/models/graph/statistics.ts';
import { getNetwork } from '../src/models/networks/index.ts';
import { TilePool } from '../src/pipeline/pool/pool.ts';
import { chooseTile, tileBudget } from '../src/pipeline/tiling/choose.ts';
import {
  featherWeights,
  planInputFor,
  planTiles,
  type Tile,
  type TilePlan,
} from '../src/pipeline/tiling/index.ts';
import { tensorSource } from '../src/pipeline/tiling/source.ts';
import { statisticsInput } from '../src/pipeline/tiling/statistics.ts';
import { tileInput, unpad } from '../src/pipeline/tiling/tensor.ts';
import { getPlugin } from '../src/plugins/registry.ts';
import { parseFlags } from './script-cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BSDS = resolve(ROOT, '../shared/data/bsds500/test');
const GRID = 9;
const CROP = 320;

/** A GRID×GRID mosaic of BSDS500 test photos (landscape ones, 481×321), blurred, as [0,1] floats. */
async function mosaic(): Promise<ImageTensor> {
  const names = (await readdir(BSDS)).filter((n) => n.endsWith('.jpg')).sort();
  const cells: Buffer[] = [];
  for (const n of names) {
    if (cells.length === GRID * GRID) break;
    const { data, info } = await sharp(join(BSDS, n))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width === 481 && info.height === 321 && info.channels === 3) cells.push(data);
  }
  if (cells.length < GRID * GRID) throw new Error(`found ${cells.length} landscape BSDS500 test photos`);
  const width = 481 * GRID;
  const height = 321 * GRID;
  const rgb = Buffer.alloc(width * height * 3);
  cells.forEach((cell, i) => {
    const x0 = (i % GRID) * 481;
    const y0 = Math.floor(i / GRID) * 321;
    for (let y = 0; y < 321; y++) cell.copy(rgb, ((y0 + y) * width + x0) * 3, y * 481 * 3, (y + 1) * 481 * 3);
  });
  const blurred = await sharp(rgb, { raw: { width, height, channels: 3 } })
    .blur(1.5)
    .raw()
    .toBuffer();
  const n = width * height;
  const data = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[c * n + i] = blurred[i * 3 + c]! / 255;
  return { data, channels: 3, height, width };
}

interface Window {
  readonly x: number;
  readonly y: number;
}

/** The crop of the stitched result, from only the tiles whose output reaches it. */
async function stitchedCrop(
  image: ImageTensor,
  plan: TilePlan,
  at: Window,
  run: (x: ImageTensor) => Promise<ImageTensor>,
): Promise<Float32Array> {
  const out = new Float32Array(3 * CROP * CROP);
  const reaches = (t: Tile) =>
    t.output.x < at.x + CROP &&
    t.output.x + t.output.width > at.x &&
    t.output.y < at.y + CROP &&
    t.output.y + t.output.height > at.y;
  for (const tile of plan.tiles.filter(reaches)) {
    const y = unpad(await run(tileInput(image, tile)), tile.pads);
    const w = featherWeights(tile, plan);
    const o = tile.output;
    for (let c = 0; c < 3; c++) {
      for (let r = Math.max(o.y, at.y); r < Math.min(o.y + o.height, at.y + CROP); r++) {
        for (let k = Math.max(o.x, at.x); k < Math.min(o.x + o.width, at.x + CROP); k++) {
          const weight = w[(r - o.y) * o.width + (k - o.x)]!;
          const v = y.data[c * y.width * y.height + (r - tile.input.y) * y.width + (k - tile.input.x)]!;
          out[c * CROP * CROP + (r - at.y) * CROP + (k - at.x)]! += weight * v;
        }
      }
    }
  }
  return out;
}

function cropOf(image: ImageTensor, at: Window): Float32Array {
  const out = new Float32Array(3 * CROP * CROP);
  for (let c = 0; c < 3; c++)
    for (let r = 0; r < CROP; r++)
      for (let k = 0; k < CROP; k++)
        out[c * CROP * CROP + r * CROP + k] =
          image.data[c * image.width * image.height + (at.y + r) * image.width + at.x + k]!;
  return out;
}

async function main(): Promise<void> {
  const flag = parseFlags('seam-crop', 'node scripts/seam-crop.ts [--out docs/seams-deblur.jpg]', {
    out: { type: 'string' },
  });
  const output = resolve(ROOT, flag('out') ?? 'docs/seams-deblur.jpg');
  const plugin = getPlugin('deblur');
  const network = getNetwork('durn-u');
  const weights = join(bundledWeightsDir(), plugin.defaultWeights['durn-u']!);
  const image = await mosaic();
  const { overlap } = plugin.tiling['durn-u']!;
  const workers = 2;
  const budget = tileBudget({ kind: 'cpu', freeBytes: freemem() });
  const bpp = bytesPerPixel(network.graph);
  const choice = chooseTile({
    ...image,
    sizeMultiple: network.sizeMultiple,
    minSide: network.minSide,
    bytesPerPixel: bpp,
    overlap,
    workers,
    freeBytes: budget.freeBytes,
    budget,
  });
  const tiling = { tile: choice.tile, overlap };
  const perTilePlan = planTiles(planInputFor(network, image, tiling));
  const frozenPlan = planTiles(planInputFor({ ...network, globalStatistics: false }, image, tiling));
  const c = Math.floor(perTilePlan.cols / 2);
  const r = Math.floor(perTilePlan.rows / 2);
  const junction = { x: perTilePlan.x.cuts[c]!, y: perTilePlan.y.cuts[r]! };
  const at = { x: junction.x - CROP / 2, y: junction.y - CROP / 2 };
  console.log(
    `${image.width}×${image.height}, ${perTilePlan.tiles.length} tiles of ${choice.tile} (${choice.reason}), overlap ${overlap}; junction at ${junction.x},${junction.y}`,
  );

  const pool = new TilePool({ workers, engine: 'onnx', device: 'cpu' });
  try {
    const pixels = Math.min(budget.freeBytes / 2, budget.wholeCap) / bpp;
    const source = statisticsInput(tensorSource(image), network, pixels);
    const statistics: GraphStatistics = await pool.collectStatistics(
      network.id,
      weights,
      source.image,
      undefined,
      pool.soloThreads,
    );
    console.log(
      `statistics from a copy shrunk ${source.factor}× (${source.image.width}×${source.image.height})`,
    );
    const perTile = await stitchedCrop(image, perTilePlan, at, (x) => pool.run(network.id, weights, x));
    const frozen = await stitchedCrop(image, frozenPlan, at, (x) =>
      pool.run(network.id, weights, x, { statistics }),
    );
    let max = 0;
    for (let i = 0; i < perTile.length; i++) max = Math.max(max, Math.abs(perTile[i]! - frozen[i]!));
    console.log(`max |per-tile − frozen| in the crop: ${max.toFixed(4)} (0–1 scale)`);
    await writePanels(output, [cropOf(image, at), perTile, frozen]);
    console.log(`wrote ${output}`);
  } finally {
    await pool.close();
  }
}

/** Panels side by side with a 4-px white gap; ticks mark the tile cuts (the crop's centre lines). */
async function writePanels(path: string, panels: Float32Array[]): Promise<void> {
  const gap = 4;
  const width = panels.length * CROP + (panels.length - 1) * gap;
  const rgb = Buffer.alloc(width * CROP * 3, 255);
  panels.forEach((p, i) => {
    const x0 = i * (CROP + gap);
    for (let r = 0; r < CROP; r++)
      for (let k = 0; k < CROP; k++)
        for (let c = 0; c < 3; c++) {
          const tick =
            (r < 6 || r >= CROP - 6) && k === CROP / 2
              ? 1
              : (k < 6 || k >= CROP - 6) && r === CROP / 2
                ? 1
                : 0;
          const v = tick ? (c === 0 ? 1 : 0) : Math.min(1, Math.max(0, p[c * CROP * CROP + r * CROP + k]!));
          rgb[(r * width + x0 + k) * 3 + c] = Math.round(v * 255);
        }
  });
  await sharp(rgb, { raw: { width, height: CROP, channels: 3 } })
    .jpeg({ quality: 88, chromaSubsampling: '4:4:4' })
    .toFile(path);
}

await main();
