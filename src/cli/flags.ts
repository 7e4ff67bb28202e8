/** Flag parsers shared by `durn restore` and `durn watch`, so both read numbers and weights alike. */
import { isAbsolute, normalize } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
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

/** The tiling flags, as both commands read them. */
export interface TilingFlags {
  tile?: number;
  overlap?: number;
  tileMemory?: number;
}

/** `--tile`, `--overlap`, `--tile-memory`: one definition for `durn restore` and `durn watch`. */
export function tilingOptions(cmd: Command): Command {
  const int = wholeNumber;
  return cmd
    .option(
      '--tile <px>',
      'tile size in pixels (default: chosen from free memory and the network; the whole image when it fits)',
      int('--tile'),
    )
    .option('--overlap <px>', 'tile overlap (default per network)', int('--overlap'))
    .option(
      '--tile-memory <MB>',
      'memory for the tiles in flight (default: a quarter of free RAM, 448–2048 MB; larger tiles are faster)',
      int('--tile-memory'),
    );
}

/** The tiling flags given, as restore/watch options. */
export function tilingFlags(f: TilingFlags): TilingFlags {
  return {
    ...(f.tile !== undefined ? { tile: f.tile } : {}),
    ...(f.overlap !== undefined ? { overlap: f.overlap } : {}),
    ...(f.tileMemory !== undefined ? { tileMemory: f.tileMemory } : {}),
  };
}

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

/** `--map FROM=TO` (repeatable): path prefixes rewritten for distributed mode. */
export function collectMaps(
  v: string,
  prev: { from: string; to: string }[] = [],
): { from: string; to: string }[] {
  const eq = v.indexOf('=');
  const from = v.slice(0, eq).replace(/\/+$/, '') || '/';
  const to = v.slice(eq + 1).replace(/\/+$/, '') || '/';
  if (eq <= 0 || !isAbsolute(v.slice(0, eq)) || !isAbsolute(v.slice(eq + 1))) {
    throw new InvalidArgumentError(
      `Expected FROM=TO with two absolute folders for --map but received "${v}"`,
    );
  }
  return [...prev, { from: normalize(from), to: normalize(to) }];
}

/** Calls `handler` on SIGINT and SIGTERM until the returned function is called. */
export function onStopSignals(handler: () => void): () => void {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Leaves at once (a second Ctrl-C). Not process.exit(): it tears down the worker threads, and one
 * torn down inside ONNX Runtime's native run() aborts the process ("terminate called", status
 * 134). With no listener left, SIGINT's default action ends the process as a shell expects
 * (status 130) and runs no teardown; an unfinished temp file is cleaned by a later run.
 */
export function quitNow(): void {
  process.removeAllListeners('SIGINT');
  process.kill(process.pid, 'SIGINT');
}

/** Library wording → the flag a CLI user types (library messages name options, not flags). */
const FLAGS: readonly [RegExp, string][] = [
  [/\bthe maxPixels option\b/g, '--max-pixels'],
  [/\bask to overwrite it\b/g, 'pass --overwrite'],
  [/\bthe overwrite option replaces it\b/g, '--overwrite replaces it'],
  [/\bthe weights option\b/g, '--weights'],
];

export function inCliWords(text: string): string {
  return FLAGS.reduce((t, [re, flag]) => t.replace(re, flag), text);
}
