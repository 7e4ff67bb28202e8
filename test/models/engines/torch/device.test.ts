/**
 * Device and precision for the torch engine: auto, cpu, cuda, cuda:N, what a missing GPU says, and
 * bf16 only where it runs natively.
 */
import { describe, expect, it } from 'vitest';
import { DurnUserError } from '../../../../src/core/errors.ts';
import { checkTorchPrecision, resolveTorchDevice } from '../../../../src/models/engines/torch/session.ts';

const cpuOnly = { python: 'python3', torch: '1.13.0', cudaDevices: 0, gpu: null, cpuBf16: false };
const twoGpus = { python: 'python3', torch: '2.5.1', cudaDevices: 2, gpu: 'NVIDIA H200', cpuBf16: false };
const amx = { ...cpuOnly, cpuBf16: true };

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

describe('checkTorchPrecision', () => {
  it('defaults to fp32 and allows bf16 on a GPU, or on a CPU that runs it natively', () => {
    expect(checkTorchPrecision(undefined, 'cpu', cpuOnly)).toBe('fp32');
    expect(checkTorchPrecision('bf16', 'cuda:0', twoGpus)).toBe('bf16');
    expect(checkTorchPrecision('bf16', 'cpu', amx)).toBe('bf16');
  });

  it('refuses bf16 on a CPU that would emulate it, and an unknown precision', () => {
    expect(() => checkTorchPrecision('bf16', 'cpu', twoGpus)).toThrow(
      /Expected a CPU with native bf16 \(AVX-512 BF16 or AMX\) for precision 'bf16' on the CPU/,
    );
    expect(() => checkTorchPrecision('fp16', 'cuda:0', twoGpus)).toThrow(/Expected 'fp32' or 'bf16'/);
  });
});
