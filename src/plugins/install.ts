/**
 * `durn models install`: copies a weights file into the user models folder under the default file
 * name of its task and network, after validating it.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { userModelsDir } from '../core/config.ts';
import { DurnUserError, expected } from '../core/errors.ts';
import { writeFileAtomic } from '../core/fs/atomic.ts';
import { loadWeights } from '../models/weights/safetensors.ts';
import { getPlugin } from './registry.ts';
import { defaultWeightsFile } from './weights-path.ts';

export async function installWeights(file: string, task?: string): Promise<string> {
  const weights = await loadWeights(resolve(file));
  const id = task ?? weights.metadata.task;
  if (!id) {
    throw new DurnUserError('INVALID_OPTION', `${basename(file)} does not name its task`, {
      file,
      hint: 'Pass the task with --task (e.g. --task denoise).',
    });
  }
  const plugin = getPlugin(id);
  if (!plugin.networks.includes(weights.metadata.arch)) {
    throw new DurnUserError(
      'WEIGHTS_MISMATCH',
      expected(`weights for ${plugin.networks.join(' or ')}`, `the task ${id}`, weights.metadata.arch),
      {
        file,
      },
    );
  }
  const dir = userModelsDir();
  await mkdir(dir, { recursive: true });
  const target = join(dir, defaultWeightsFile(plugin, weights.metadata.arch));
  await writeFileAtomic(target, await readFile(resolve(file)), { overwrite: true });
  return target;
}
