/**
 * A 2-worker ONNX CPU tile pool and scratch weights for one network, set up before a test file's
 * tests and closed after them: `const s = scratchPoolForFile('denoise', 'durn-p-nonorm')`, then
 * `s.pool` and `s.weights` inside the tests.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { NetworkId } from '../../src/models/graph/types.ts';
import { TilePool } from '../../src/pipeline/pool/pool.ts';
import { writeScratchWeights } from './models.ts';

export interface ScratchPool {
  pool: TilePool;
  weights: string;
}

export function scratchPoolForFile(task: string, network: NetworkId): ScratchPool {
  const s = {} as ScratchPool;
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `durn-${task}-pool-`));
    [s.weights] = (await writeScratchWeights(dir, task, [network])) as [string];
    s.pool = new TilePool({ workers: 2, threadsPerWorker: 1, engine: 'onnx', device: 'cpu' });
  });
  afterAll(async () => {
    await s.pool?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return s;
}
