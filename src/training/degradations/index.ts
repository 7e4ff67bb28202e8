/**
 * The degradation registry: synthetic damage models by key. The trainer knows no degradation of
 * its own; task plugins own theirs (src/plugins/<task>/) and register them here, and a worker
 * thread imports the task module named in its init (loadDegradations) to register them there too.
 * `degrade` draws parameters from the documented training ranges and applies them.
 */
import { pathToFileURL } from 'node:url';
import { DurnUserError, expected } from '../../core/errors.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Rng } from '../rng.ts';
import type { Degradation } from './types.ts';

export { type Degradation, parseParams } from './types.ts';

const registry = new Map<string, Degradation<unknown>>();

/** Makes `degradation` available under `key` in this thread (the same key again replaces it). */
export function registerDegradation(key: string, degradation: Degradation<unknown>): void {
  registry.set(key, degradation);
}

export function registeredDegradations(): string[] {
  return [...registry.keys()];
}

/**
 * Registers every degradation a task module exports as `degradations` (a record by key). `module`
 * is a file URL or path: worker threads get the task module's URL, since functions cannot cross.
 */
export async function loadDegradations(module: string): Promise<void> {
  const url = module.startsWith('file:') ? module : pathToFileURL(module).href;
  const mod = (await import(url)) as { degradations?: Record<string, Degradation<unknown>> };
  if (!mod.degradations || typeof mod.degradations !== 'object') {
    throw new DurnUserError('INVALID_OPTION', expected('a `degradations` export', 'the task module', module));
  }
  for (const [key, d] of Object.entries(mod.degradations)) registerDegradation(key, d);
}

export function degradationFor(key: string): Degradation<unknown> {
  const d = registry.get(key);
  if (d === undefined) {
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(registeredDegradations().join(', ') || 'a registered degradation', 'training task', key),
    );
  }
  return d;
}

/** A training input for `clean`: random parameters from the degradation's ranges, applied. */
export function degrade(key: string, clean: ImageTensor, rng: Rng): { image: ImageTensor; params: unknown } {
  const d = degradationFor(key);
  const params = d.sample(rng);
  return { image: d.apply(clean, params, rng), params };
}
