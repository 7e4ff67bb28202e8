/** Device choice for the torch engine: auto, cpu, cuda, cuda:N, and what a missing GPU says. */
import { describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../../src/core/errors.ts';
import { resolveTorchDevice } from '../../../../src/models/engines/torch/session.ts';

const cpuOnly = { python: 'python3', torch: '1.13.0', cudaDevices: 0, gpu: null };
const twoGpus = { python: 'python3', torch: '2.5.1', cudaDevices: 2, gpu: 'NVIDIA H200' };

describe('resolveTorchDevice', () => {
  it('maps auto to the first GPU when torch sees one, else the CPU', () => {
    expect(resolveTorchDevice('auto', cpuOnly)).toBe('cpu');
    expect(resolveTorchDevice(undefined, twoGpus)).toBe('cuda:0');
    expect(resolveTorchDevice('cuda', twoGpus)).toBe('cuda:0');
    expect(resolveTorchDevice('cuda:1', twoGpus)).toBe('cuda:1');
    expect(resolveTorchDevice('cpu', twoGpus)).toBe('cpu');
  });

  it('refuses a GPU torch does not see, and a malformed device', () => {
    for (const [d, info] of [
      ['cuda', cpuOnly],
      ['cuda:2', twoGpus],
    ] as const) {
      const err = (() => {
        try {
          resolveTorchDevice(d, info);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(DurnUserError);
      expect((err as DurnUserError).code).toBe('DEVICE_UNAVAILABLE');
    }
    expect(() => resolveTorchDevice('gpu', twoGpus)).toThrow(/cuda:N/);
  });
});
