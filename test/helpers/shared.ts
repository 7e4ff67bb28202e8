/**
 * Access to ../shared (the paper, reference fixtures and data). Tests that need it use
 * `describeShared`, which skips with a clear message when the folder is absent (a fresh clone).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import type { NetworkId } from '../../src/models/graph/types.ts';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = process.env.DURN_SHARED ?? resolve(PROJECT_ROOT, '../shared');
export const FIXTURES = join(SHARED, 'fixtures/pytorch-reference');
export const hasShared = existsSync(join(SHARED, 'fixtures')) && existsSync(join(SHARED, 'data'));

export function sharedPath(...parts: string[]): string {
  return join(SHARED, ...parts);
}

/** describe() that runs only when ../shared is present, and says why it skipped otherwise. */
export function describeShared(name: string, fn: () => void): void {
  if (hasShared) {
    describe(name, fn);
  } else {
    // Skipped on purpose, reason in the title: a fresh clone has no ../shared and must still pass.
    describe.skip(`${name} [skipped: ../shared not found at ${SHARED}; set DURN_SHARED to its path]`, fn);
  }
}

/** Fixture file stem → network, for the six reference fixtures. */
export const FIXTURE_ARCH: Record<string, NetworkId> = {
  durn_p: 'durn-p',
  durn_p_no_norm: 'durn-p-nonorm',
  durn_u: 'durn-u',
  durn_us: 'durn-us',
  durn_s: 'durn-s',
  durn_s_p: 'durn-s-p',
};
