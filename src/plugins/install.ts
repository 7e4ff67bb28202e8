/**
 * `durn models install`: copies a weights file into the user models folder under the default file
 * name of its task and network, after validating it.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { userModelsDir } from '../core/config.ts';
import { DurnUserError, expected } from '../core/errors.ts';
import { ensureDir, writeFileAtomic } from '../core/fs/atomic.ts';
import { loadWeights } from '../models/weights/safetensors.ts';
import { getPlugin } from './registry.ts';
import { defaultWeightsFile } from './weights-path.ts';

export async function installWeights(
  file: string,
  task?: string,
  opts: { overwrite?: boolean } = {},
): Promise<string> {
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
  await ensureDir(dir);
  const target = join(dir, defaultWeightsFile(plugin, weights.metadata.arch));
  if (resolve(file) === target) return target; // already installed: nothing to copy
  // An installed file may be the only copy of a user's training: replacing it is asked for.
  if (
    !opts.overwrite &&
    (await stat(target).then(
      () => true,
      () => false,
    ))
  ) {
    throw new DurnUserError(
      'OUTPUT_EXISTS',
      `Expected a free weights file for the task ${id} but ${target} already exists`,
      {
        file: target,
        hint: 'Pass --overwrite to replace it (or keep it and pass your file with --weights).',
      },
    );
  }
  await writeFileAtomic(target, await readFile(resolve(file)), { overwrite: opts.overwrite ?? false });
  return target;
}
