/** Engine `auto` when onnxruntime-node is broken: tfjs takes over, saying so once; `onnx` fails clearly. */
import { describe, expect, it, vi } from 'vitest';
import { DurnUserError } from '../../../../src/core/errors.ts';
import { createSession, resolveEngine } from '../../../../src/models/engines/index.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import { initialWeights } from '../../../../src/models/weights/init.ts';

// What a missing native library looks like when the optional dependency's binding loads.
vi.mock('onnxruntime-node', () => {
  throw new Error('libonnxruntime.so.1: cannot open shared object file: No such file or directory');
});

describe('engine selection with a broken onnxruntime-node', () => {
  const network = getNetwork('durn-p-nonorm');
  const weights = initialWeights(network, 2);

  it('auto resolves to tfjs and tells the caller why, once', async () => {
    expect((await resolveEngine('auto')).engine).toBe('tfjs');
    const notices: string[] = [];
    const onNotice = (m: string) => notices.push(m);
    const a = await createSession({ network, weights, engine: 'auto', onNotice });
    const b = await createSession({ network, weights, engine: 'auto', onNotice });
    expect(a.engine).toBe('tfjs');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/Expected onnxruntime-node to load .*; using the tfjs engine instead/);
    await a.dispose();
    await b.dispose();
  });

  it('an explicit onnx engine fails with a user error and a hint', async () => {
    const err = await createSession({ network, weights, engine: 'onnx' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DurnUserError);
    expect((err as DurnUserError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as DurnUserError).hint).toMatch(/--engine tfjs/);
  });
});
