/**
 * What can be known wrong before any network runs is checked once, up front, so a configuration
 * error stops a run (or a watch folder) before it touches a photo instead of failing every file in
 * turn: weights that do not load or belong to another network, a tile/overlap no plan can use, a
 * bit depth the output format cannot hold.
 */
import { stat } from 'node:fs/promises';
import { DurnUserError } from '../../core/errors.ts';
import type { NetworkId } from '../../models/graph/types.ts';
import { getNetwork } from '../../models/networks/index.ts';
import { loadWeights } from '../../models/weights/index.ts';
import type { TaskPlugin } from '../../plugins/types.ts';
import { planInputFor, planTiles } from '../tiling/index.ts';
import type { OutputFormat } from './outputs.ts';
import type { ResolvedStep, TilingOverride } from './restore-tensor.ts';

/** Formats that hold 16 bits per sample. */
export const SIXTEEN_BIT: readonly OutputFormat[] = ['png', 'tiff'];

/**
 * The tile and overlap a network runs with: the user's, else the plugin's defaults. A tile given
 * without an overlap gets the default overlap capped to what that tile allows, so `tile: 64`
 * alone works instead of failing on an overlap the user never set.
 */
export function tilingFor(
  plugin: TaskPlugin,
  network: NetworkId,
  override: TilingOverride | undefined,
): { tile: number; overlap: number } {
  const defaults = plugin.tiling[network]!;
  const tile = override?.tile ?? defaults.tile;
  if (override?.overlap !== undefined) return { tile, overlap: override.overlap };
  return { tile, overlap: Math.max(0, Math.min(defaults.overlap, maxOverlap(network, tile))) };
}

/** The largest overlap planTiles accepts for a tile (it keeps a few pixels per tile core). */
function maxOverlap(network: NetworkId, tile: number): number {
  const m = getNetwork(network).sizeMultiple;
  return Math.floor((Math.floor(tile / m) * m - Math.max(4 * m, 8)) / 2);
}

/** Throws when a tile/overlap cannot be planned for some network of the chain. */
export function checkTiling(steps: readonly ResolvedStep[], override: TilingOverride | undefined): void {
  for (const { plugin, weights } of steps) {
    for (const id of Object.keys(weights) as NetworkId[]) {
      const network = getNetwork(id);
      const { tile, overlap } = tilingFor(plugin, id, override);
      try {
        planTiles(planInputFor(network, { width: tile * 2, height: tile * 2 }, { tile, overlap }));
      } catch (err) {
        if (!(err instanceof DurnUserError)) throw err;
        const most = Math.max(0, maxOverlap(id, tile));
        throw new DurnUserError(
          'INVALID_OPTION',
          overlap > most
            ? `Expected an overlap between 0 and ${most} for tile ${tile} (${plugin.id}, network ${id}) but received ${overlap}`
            : `${err.message} (${plugin.id}, network ${id})`,
          {
            cause: err,
            hint:
              `a larger tile, or a smaller overlap; ${id} needs an overlap of ${network.receptiveRadius} ` +
              'for tiles to join without seams',
          },
        );
      }
    }
  }
}

const checked = new Map<string, Promise<void>>();

/**
 * Loads every weights file of the chain once and checks it holds one of its task's networks
 * (cached per file state). One file given for a whole task (grey and colour denoising) is fine as
 * long as it is one of them; photos needing the other network then fail on their own.
 */
export async function checkWeights(steps: readonly ResolvedStep[]): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (const { plugin, weights } of steps) {
    for (const path of new Set(Object.values(weights).filter((p): p is string => p !== undefined))) {
      const s = await stat(path).catch(() => null);
      const key = `${plugin.id}:${path}:${s?.size}:${s?.mtimeMs}`;
      let job = checked.get(key);
      if (!job) {
        job = loadWeights(path).then((w) => {
          if (!plugin.networks.includes(w.metadata.arch)) {
            throw new DurnUserError(
              'WEIGHTS_MISMATCH',
              `Expected weights for ${plugin.networks.join(' or ')} for the task ${plugin.id} but ${path} holds weights for ${w.metadata.arch}`,
              {
                file: path,
                hint: `pass a ${plugin.id} weights file (\`durn models list\` shows each task's networks)`,
              },
            );
          }
        });
        checked.set(key, job);
        job.catch(() => checked.delete(key));
      }
      jobs.push(job);
    }
  }
  await Promise.all(jobs);
}

/** Throws when 16-bit output is asked for a format that holds 8 bits. */
export function checkBitDepth(bitDepth: 8 | 16 | undefined, format: OutputFormat, what: string): void {
  if (bitDepth === 16 && !SIXTEEN_BIT.includes(format)) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected an output format that holds 16 bits (PNG or TIFF) for a bit depth of 16 but ${what} is ${format.toUpperCase()}`,
      { hint: 'ask for PNG or TIFF output, or a bit depth of 8' },
    );
  }
}
