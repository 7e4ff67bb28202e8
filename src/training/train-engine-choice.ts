/** Which engine `durn train --engine auto` uses: torch (CUDA, else CPU) when PyTorch loads, else tfjs. */
import { torchAvailable } from '../models/engines/torch/python.ts';

export async function resolveTrainEngine(
  choice: 'auto' | 'tfjs' | 'torch',
  _device: string,
): Promise<'tfjs' | 'torch'> {
  if (choice !== 'auto') return choice;
  // torch on a CPU still trains about twice as fast as tfjs-wasm; the device resolves later.
  return (await torchAvailable()) ? 'torch' : 'tfjs';
}
