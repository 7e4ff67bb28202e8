/**
 * The shape every synthetic degradation shares: a zod schema for its parameters (defaults and
 * documented ranges), `sample` to draw training parameters, and a pure `apply`.
 */
import type { z } from 'zod';
import { DurnUserError, expected } from '../../core/errors.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Rng } from '../rng.ts';

export interface Degradation<P> {
  readonly name: string;
  readonly summary: string;
  /** Channel counts `apply` accepts. */
  readonly channels: readonly number[];
  /** Parses user parameters, filling documented defaults. */
  readonly schema: z.ZodType<P>;
  /** Random parameters from the documented training ranges. */
  sample(rng: Rng): P;
  /** The degraded image (same shape); all randomness comes from `rng`. */
  apply(image: ImageTensor, params: P, rng: Rng): ImageTensor;
}

/** Validates `input` against a degradation's schema, throwing a user error in sharp's wording. */
export function parseParams<P>(degradation: Pick<Degradation<P>, 'name' | 'schema'>, input: unknown): P {
  const result = degradation.schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  let value: unknown = input;
  for (const key of issue.path)
    value = (value as Record<PropertyKey, unknown> | undefined)?.[key as PropertyKey];
  const where = [degradation.name, ...issue.path.map(String)].join('.');
  throw new DurnUserError('INVALID_OPTION', expected(issue.message, where, value));
}
