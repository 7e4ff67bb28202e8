/**
 * The quality protocol behind `npm run eval` (scripts/eval.ts), built from the task plugins'
 * training recipes: one evaluation per recipe, in task order. BSDS500 test images, synthetic
 * degradations seeded per image: Gaussian denoising (DuRN-P, grey) on all 200 images at σ 30, 50
 * and 70, as in the paper (its recipe says so); every other network on the first `limit` images.
 */
import { DurnUserError, expected } from '../core/errors.ts';
import type { ProtocolEntry } from '../training/eval-report.ts';
import { allRecipes } from './training.ts';

export function evalProtocol(): ProtocolEntry[] {
  return allRecipes().flatMap(({ plugin, network, recipe }) => {
    const base = {
      task: plugin.id,
      network,
      ...(recipe.sigmas ? { sigma: recipe.sigmas } : {}),
      allImages: recipe.evalAllImages ?? false,
      colorSpace: recipe.colorSpace,
    };
    // A recipe with evaluations of its own (colour denoising: two noises) gets one entry each.
    return recipe.evaluations
      ? recipe.evaluations.map((e) => ({ id: e.id, degradation: e.degradation.name, ...base }))
      : [{ id: recipe.name, ...base }];
  });
}

/**
 * The entries named by `only` (task ids, network ids or evaluation names, e.g. "denoise",
 * "durn-u", "denoise-rgb"), in protocol order; all of them when `only` is empty.
 */
export function selectProtocol(only: readonly string[] = []): ProtocolEntry[] {
  const protocol = evalProtocol();
  const wanted = only.map((w) => w.trim().toLowerCase()).filter((w) => w !== '');
  if (wanted.length === 0) return protocol;
  const names = new Set(protocol.flatMap((e) => [e.id, e.task, e.network]));
  const unknown = wanted.find((w) => !names.has(w));
  if (unknown !== undefined) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(`a task, network or evaluation name (${[...names].join(', ')})`, '--only', unknown),
    );
  }
  return protocol.filter((e) => wanted.some((w) => w === e.id || w === e.task || w === e.network));
}
