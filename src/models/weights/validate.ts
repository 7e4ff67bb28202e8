/**
 * Checks a state_dict against a network's declared parameters: every name, shape and dtype, and
 * that the values are finite. The first mismatch is reported, and when the tensors fit another of
 * the six networks the hint names it (the usual mistake is the wrong --arch).
 */
import { DurnUserError } from '../../core/errors.ts';
import type { NetworkId, ParamSpec } from '../graph/types.ts';
import { NETWORK_IDS } from '../graph/types.ts';
import { getNetwork } from '../networks/index.ts';
import type { HostTensor, StateDict } from './types.ts';

const fmt = (shape: readonly number[]) => `[${shape.join(',')}]`;

/** The first structural mismatch between `tensors` and `arch`, or null (ignores values). */
export function firstMismatch(arch: NetworkId, tensors: StateDict): string | null {
  const { params, unusedKeys } = getNetwork(arch).graph;
  for (const p of params) {
    const t = tensors.get(p.name);
    if (!t) {
      if (p.optional) continue;
      return `Expected a tensor ${p.name} of shape ${fmt(p.shape)} for ${arch} but it is missing`;
    }
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      return `Expected shape ${fmt(p.shape)} for ${p.name} but received ${fmt(t.shape)}`;
    }
    if (t.dtype !== p.dtype) return `Expected dtype ${p.dtype} for ${p.name} but received ${t.dtype}`;
  }
  const known = new Set(params.map((p) => p.name));
  for (const name of tensors.keys()) {
    if (!known.has(name) && !unusedKeys.includes(name)) {
      return `Expected only ${arch} parameters but received an extra tensor ${name}`;
    }
  }
  return null;
}

/** Networks whose parameters the tensors match exactly (for "did you mean --arch …" hints). */
export function matchingArchs(tensors: StateDict): NetworkId[] {
  return NETWORK_IDS.filter((id) => firstMismatch(id, tensors) === null);
}

function firstNonFinite(p: ParamSpec, data: HostTensor['data']): number {
  if (!(data instanceof Float32Array) || p.dtype !== 'float32') return -1;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/**
 * Validates `tensors` for `arch`; throws WEIGHTS_MISMATCH naming `source` and the first mismatch.
 * Returns the extra keys the reference carries but the network never uses.
 */
export function validateStateDict(arch: NetworkId, tensors: StateDict, source: string): { unused: string[] } {
  const graph = getNetwork(arch).graph;
  const mismatch = firstMismatch(arch, tensors);
  if (mismatch) {
    const others = matchingArchs(tensors).filter((id) => id !== arch);
    throw new DurnUserError('WEIGHTS_MISMATCH', `${source} does not hold ${arch} weights: ${mismatch}`, {
      file: source,
      hint:
        others.length > 0
          ? `These tensors match ${others.join(' or ')}: use --arch ${others[0]}.`
          : `The file matches none of the six networks (${NETWORK_IDS.join(', ')}).`,
    });
  }
  for (const p of graph.params) {
    const t = tensors.get(p.name);
    if (!t) continue;
    const bad = firstNonFinite(p, t.data);
    if (bad >= 0) {
      throw new DurnUserError(
        'WEIGHTS_MISMATCH',
        `${source}: Expected finite values for ${p.name} but received ${t.data[bad]} at index ${bad}`,
        {
          file: source,
          hint: 'The weights are broken (a diverged training run?); they would produce garbage.',
        },
      );
    }
  }
  return { unused: graph.unusedKeys.filter((k) => tensors.has(k)) };
}
