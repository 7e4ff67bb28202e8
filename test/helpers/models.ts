/**
 * Real (randomly initialised, seeded) weights for tests that need a network but not a trained
 * one: written as safetensors under a models folder with the plugins' default file names.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkId } from '../../src/models/graph/types.ts';
import { getNetwork } from '../../src/models/networks/index.ts';
import { initialWeights } from '../../src/models/weights/init.ts';
import { saveWeights } from '../../src/models/weights/safetensors.ts';
import { getPlugin } from '../../src/plugins/registry.ts';

export async function writeScratchWeights(
  dir: string,
  task: string,
  networks?: NetworkId[],
  seed = 1,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const plugin = getPlugin(task);
  const written: string[] = [];
  for (const id of networks ?? plugin.networks) {
    const file = join(dir, plugin.defaultWeights[id]!);
    await saveWeights(
      file,
      { metadata: { formatVersion: 1, arch: id, task }, tensors: initialWeights(getNetwork(id), seed) },
      { overwrite: true },
    );
    written.push(file);
  }
  return written;
}
