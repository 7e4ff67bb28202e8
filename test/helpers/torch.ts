/**
 * Access to PyTorch for the torch engine's tests: `describeTorch` runs only when a Python with
 * torch is found (DURN_PYTHON, python3, /usr/bin/python3) and says why it skipped otherwise.
 */
import { describe } from 'vitest';
import { type TorchInfo, torchAvailable } from '../../src/models/engines/torch/python.ts';

export const TORCH: TorchInfo | null = await torchAvailable();

export function describeTorch(name: string, fn: () => void): void {
  if (TORCH) describe(name, fn);
  // Skipped on purpose, reason in the title: PyTorch is an optional engine, absent on many machines.
  else
    describe.skip(
      `${name} [skipped: no Python with PyTorch (pip install torch, apt-get install python3-torch, or set DURN_PYTHON)]`,
      fn,
    );
}

/** CUDA suites: need torch and a GPU it sees. */
export function describeCuda(name: string, fn: () => void): void {
  if (TORCH && TORCH.cudaDevices > 0) describe(name, fn);
  // Skipped on purpose, reason in the title: CI and most machines have no NVIDIA GPU.
  else describe.skip(`${name} [skipped: no CUDA GPU visible to PyTorch]`, fn);
}
