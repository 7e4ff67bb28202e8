/** ONNX sessions: input validation, the shared-session cache, device selection and fallbacks. */
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DurnBugError, DurnUserError } from '../../../../src/core/errors.ts';
import { createSession, settingsFromEnv } from '../../../../src/models/engines/index.ts';
import { missingCudaFiles, ortBinDir } from '../../../../src/models/engines/onnx/runtime.ts';
import {
  cachedSessionCount,
  createOnnxSession,
  resetDeviceProbe,
} from '../../../../src/models/engines/onnx/session.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import { randomImage, randomWeights } from './random-weights.ts';

const pnet = getNetwork('durn-p-nonorm');
const pweights = randomWeights(pnet.graph, 5);
const hasCuda = missingCudaFiles(ortBinDir()).length === 0;

afterEach(() => {
  vi.unstubAllEnvs();
  resetDeviceProbe();
});

async function thrown(p: Promise<unknown>): Promise<DurnUserError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DurnUserError);
  return err as DurnUserError;
}

describe('createOnnxSession', () => {
  it('rejects sizes that are not multiples of the network’s size multiple, with the size in the message', async () => {
    const net = getNetwork('durn-u');
    const s = await createOnnxSession({
      network: net,
      weights: randomWeights(net.graph, 2),
      threads: 1,
      device: 'cpu',
    });
    try {
      const err = await thrown(s.run(randomImage(3, 50, 42)));
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.message).toBe(
        'Expected height and width that are multiples of 4 for durn-u but received 50×42',
      );
      expect(err.hint).toMatch(/Pad the image/);
      const small = await thrown(s.run(randomImage(3, net.minSide - 4, 64)));
      expect(small.message).toMatch(`at least ${net.minSide} for durn-u`);
    } finally {
      await s.dispose();
    }
  });

  it('rejects the wrong channel count and bad options', async () => {
    const s = await createOnnxSession({ network: pnet, weights: pweights, threads: 1, device: 'cpu' });
    try {
      expect((await thrown(s.run(randomImage(1, 32, 32)))).message).toMatch(/Expected 3 channel\(s\)/);
    } finally {
      await s.dispose();
    }
    const bad = await thrown(createOnnxSession({ network: pnet, weights: pweights, threads: 0 }));
    expect(bad.message).toBe(
      'Expected a positive integer for the onnx threads but received 0 of type number',
    );
  });

  it('shares one compiled session per (network, weights, device, threads) and releases it with the last user', async () => {
    const before = cachedSessionCount();
    const a = await createOnnxSession({ network: pnet, weights: pweights, threads: 1, device: 'cpu' });
    const b = await createOnnxSession({
      network: pnet,
      weights: new Map(pweights),
      threads: 1,
      device: 'cpu',
    });
    expect(cachedSessionCount()).toBe(before + 1);
    const c = await createOnnxSession({ network: pnet, weights: pweights, threads: 2, device: 'cpu' });
    expect(cachedSessionCount()).toBe(before + 2);
    expect(a.description).toBe('onnx cpu (1 thread)');
    expect(c.description).toBe('onnx cpu (2 threads)');
    const img = randomImage(3, 24, 20);
    const [ya, yc] = [await a.run(img), await c.run(img)];
    expect([ya.channels, ya.height, ya.width]).toEqual([3, 24, 20]);
    expect(Array.from(yc.data)).toEqual(Array.from(ya.data));
    await a.dispose();
    await a.dispose(); // idempotent: must not release b's share
    expect(cachedSessionCount()).toBe(before + 2);
    expect((await b.run(img)).data).toEqual(ya.data);
    await b.dispose();
    await c.dispose();
    expect(cachedSessionCount()).toBe(before);
    await expect(a.run(img)).rejects.toBeInstanceOf(DurnBugError);
  });
});

describe.skipIf(hasCuda)('device selection without the CUDA execution provider', () => {
  it('auto falls back to the CPU, and says so once per process only when an NVIDIA GPU is there', async () => {
    const notices: string[] = [];
    const onNotice = (m: string) => notices.push(m);
    const a = await createSession({ network: pnet, weights: pweights, device: 'auto', threads: 1, onNotice });
    const b = await createSession({ network: pnet, weights: pweights, device: 'auto', threads: 2, onNotice });
    expect(a.engine).toBe('onnx');
    expect(a.description).toBe('onnx cpu (1 thread)');
    expect(b.description).toBe('onnx cpu (2 threads)');
    // No GPU: the CPU is simply the device, nothing to say. A GPU CUDA cannot use is worth a word.
    const gpu = existsSync('/proc/driver/nvidia/version') || existsSync('/dev/nvidia0');
    expect(notices).toHaveLength(gpu ? 1 : 0);
    if (gpu)
      expect(notices[0]).toMatch(
        /CUDA is not available .*libonnxruntime_providers_cuda\.so.*running on the CPU/,
      );
    await a.dispose();
    await b.dispose();
  });

  it('explicit cuda fails with what is missing and how to install it', async () => {
    const err = await thrown(createSession({ network: pnet, weights: pweights, device: 'cuda' }));
    expect(err.code).toBe('DEVICE_UNAVAILABLE');
    expect(err.message).toMatch(
      /--device cuda .*libonnxruntime_providers_cuda\.so, libonnxruntime_providers_shared\.so/,
    );
    expect(err.hint).toMatch(/npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12/);
    expect(err.hint).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    expect(err.hint).toMatch(/CUDA 12 and cuDNN 9/);
  });

  it('DURN_DEVICE=cuda counts as an explicit choice', async () => {
    vi.stubEnv('DURN_DEVICE', 'cuda');
    expect((await thrown(createSession({ network: pnet, weights: pweights }))).code).toBe(
      'DEVICE_UNAVAILABLE',
    );
    // An option overrides the environment.
    const s = await createSession({ network: pnet, weights: pweights, device: 'cpu', threads: 1 });
    await s.dispose();
  });
});

describe('engine settings from the environment', () => {
  it('reads DURN_ENGINE, DURN_DEVICE and DURN_THREADS and refuses nonsense', async () => {
    expect(settingsFromEnv({ DURN_ENGINE: 'onnx', DURN_DEVICE: 'cpu', DURN_THREADS: '3' })).toEqual({
      DURN_ENGINE: 'onnx',
      DURN_DEVICE: 'cpu',
      DURN_THREADS: 3,
    });
    expect(settingsFromEnv({ DURN_ENGINE: '' })).toEqual({});
    expect(() => settingsFromEnv({ DURN_THREADS: 'many' })).toThrow(
      'Expected a positive integer for the environment variable DURN_THREADS but received "many"',
    );
    vi.stubEnv('DURN_ENGINE', 'pytorch');
    const err = await thrown(createSession({ network: pnet, weights: pweights }));
    expect(err.message).toMatch(
      /Expected one of auto, onnx, tfjs, torch for the environment variable DURN_ENGINE/,
    );
    vi.stubEnv('DURN_ENGINE', 'onnx');
    vi.stubEnv('DURN_THREADS', '2');
    const s = await createSession({ network: pnet, weights: pweights, device: 'cpu' });
    expect(s.description).toBe('onnx cpu (2 threads)');
    await s.dispose();
  });
});
