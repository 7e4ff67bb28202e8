/**
 * `npm run bench -- statistics [--images 3] [--only deblur,dehaze] [--tile 320] [--overlap 104]`:
 * PSNR against the clean photo of the whole-image run and of tiled runs, on the first BSDS500 test
 * photos with the eval protocol's degradation (seeded as `npm run eval` seeds it) and the shipped
 * weights. Tiled runs: frozen whole-image statistics, statistics from a copy shrunk 2×, and
 * per-tile statistics (the old behaviour). Also the max abs difference of each tiled output
 * against the whole one. Needs ../shared (BSDS500).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSession } from '../src/models/engines/index.ts';
import type { ImageTensor } from '../src/models/engines/types.ts';
import { getNetwork } from '../src/models/networks/index.ts';
import { loadWeights } from '../src/models/weights/index.ts';
import { TilePool } from '../src/pipeline/pool/pool.ts';
import { restoreTensor, type TilingOverride } from '../src/pipeline/run/restore-tensor.ts';
import { getPlugin } from '../src/plugins/registry.ts';
import { trainingTask } from '../src/plugins/training.ts';
import { synthesize } from '../src/training/data/batches.ts';
import { loadTrainingImages } from '../src/training/data/images.ts';
import { wholeImage } from '../src/training/data/patches.ts';
import { registerDegradation } from '../src/training/degradations/index.ts';
import { restoreWithSession, VALIDATION_SEED } from '../src/training/evaluate.ts';
import { measure } from '../src/training/metrics.ts';
import { createRng } from '../src/training/rng.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function maxDiff(a: ImageTensor, b: ImageTensor): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

export default async function bench(args: string[]): Promise<void> {
  const count = Number(flag(args, '--images') ?? 3);
  const only = (flag(args, '--only') ?? 'deblur,dehaze').split(',');
  const tile = Number(flag(args, '--tile') ?? 320);
  const overlap = Number(flag(args, '--overlap') ?? 104);
  const data = join(ROOT, '../shared/data/bsds500/test');
  const pool = new TilePool({ engine: 'onnx', device: 'cpu' });
  console.log(
    `BSDS500 test, first ${count} photos; tiles ${tile}, overlap ${overlap}; ${pool.workers} workers`,
  );
  try {
    for (const task of only) {
      const plugin = getPlugin(task);
      const id = plugin.networkFor({ channels: 3 });
      const network = getNetwork(id);
      const file = join(ROOT, 'weights', plugin.defaultWeights[id]!);
      const recipe = trainingTask(plugin).recipe(id);
      registerDegradation(recipe.name, recipe.degradation);
      const degradation = recipe.name;
      const images = await loadTrainingImages({ data, channels: 3, limit: count });
      const session = await createSession({
        network,
        weights: (await loadWeights(file, id)).tensors,
        engine: 'onnx',
        device: 'cpu',
      });
      const variants: { name: string; tiling: TilingOverride }[] = [
        { name: 'tiled, frozen whole-image statistics', tiling: { tile, overlap, statistics: 'frozen' } },
        {
          name: 'tiled, statistics of a copy shrunk 2×',
          tiling: { tile, overlap, statistics: 'frozen', statisticsPixels: 60_000 },
        },
        { name: 'tiled, per-tile statistics', tiling: { tile, overlap, statistics: 'tile' } },
      ];
      const sums = { whole: 0, variants: variants.map(() => ({ psnr: 0, max: 0, tiles: 0 })) };
      for (let i = 0; i < images.clean.images.length; i++) {
        const info = images.clean.images[i]!;
        const clean = wholeImage(images.clean, i);
        const spec = {
          seed: 0,
          batch: 1,
          patch: 0,
          margin: 0,
          channels: 3 as const,
          degradation,
          degradationOptions: {},
        };
        const degraded = synthesize(clean, spec, createRng(VALIDATION_SEED).fork('eval', info.name)).input;
        const whole = await restoreWithSession(session, degraded, network);
        // The plugin's own clamp, as restoreWithSession's output goes through none: clamp alike.
        const clamp = (t: ImageTensor) => ({ ...t, data: t.data.map((v) => Math.min(1, Math.max(0, v))) });
        const wholeC = clamp(whole);
        sums.whole += measure(recipe.colorSpace, wholeC, clean).psnr;
        for (const [k, v] of variants.entries()) {
          let tiles = 0;
          const out = await restoreTensor(
            degraded,
            [{ plugin, options: { strength: 1 }, weights: { [id]: file } }],
            {
              pool,
              file: info.name,
              emit: (e) => {
                if (e.type === 'step-start') tiles = e.tiles;
              },
              tiling: v.tiling,
            },
          );
          const s = sums.variants[k]!;
          s.psnr += measure(recipe.colorSpace, out, clean).psnr;
          s.max = Math.max(s.max, maxDiff(out, wholeC));
          s.tiles = tiles;
        }
        console.log(`  ${task} ${info.name} done`);
      }
      await session.dispose();
      const n = images.clean.images.length;
      const w = sums.whole / n;
      console.log(`${task} (${id}), ${n} photos, mean PSNR vs clean:`);
      console.log(`  whole image                              ${w.toFixed(3)} dB`);
      for (const [k, v] of variants.entries()) {
        const s = sums.variants[k]!;
        const p = s.psnr / n;
        console.log(
          `  ${v.name.padEnd(40)} ${p.toFixed(3)} dB (${(p - w >= 0 ? '+' : '') + (p - w).toFixed(3)}), ` +
            `max |tiled − whole| ${s.max.toExponential(2)}, ${s.tiles} tiles`,
        );
      }
    }
  } finally {
    await pool.close();
  }
}
