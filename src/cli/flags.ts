/** Flag parsers shared by `durn restore` and `durn watch`, so both read numbers and weights alike. */
import { InvalidArgumentError } from 'commander';
import type { DeviceChoice } from '../models/engines/types.ts';
import { isTaskId } from '../plugins/registry.ts';
import { parseWeightsArgument } from '../plugins/weights-path.ts';

/** A whole number (sizes, counts, quality); the option schemas check the ranges. */
export const wholeNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError(`Expected a whole number for ${name} but received "${v}"`);
  }
  return n;
};

/** `--weights FILE` (any task, key "*") or `--weights TASK=FILE`, repeatable. */
export function collectWeights(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const parsed = parseWeightsArgument(v, isTaskId);
  return { ...prev, ['task' in parsed ? parsed.task : '*']: parsed.file };
}

/** `--device`: auto, cpu, cuda or cuda:N (a GPU index, for the torch engine). */
export function device(v: string): DeviceChoice {
  if (/^(auto|cpu|cuda|cuda:\d+)$/.test(v)) return v as DeviceChoice;
  throw new InvalidArgumentError(`Expected auto, cpu, cuda or cuda:N for --device but received "${v}"`);
}
