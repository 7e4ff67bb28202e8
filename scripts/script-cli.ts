/**
 * What `npm run eval`, `npm run examples` and ship-weights share: strict flag parsing with a usage
 * text (exit 2 on bad usage, 0 for --help), and the weights of a protocol entry taken from one
 * folder.
 */
import { join } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { getPlugin } from '../src/plugins/registry.ts';
import { defaultWeightsFile, type ResolvedWeights, resolveWeights } from '../src/plugins/weights-path.ts';
import type { ProtocolEntry } from '../src/training/eval-report.ts';

export function usageError(name: string, usage: string, message: string): never {
  process.stderr.write(`${name}: ${message}\n\n${usage}\n`);
  process.exit(2);
}

/** The flags' string values; `-h/--help` prints the usage and exits. */
export function parseFlags(
  name: string,
  usage: string,
  options: NonNullable<ParseArgsConfig['options']>,
): (flag: string) => string | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    usageError(name, usage, (err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return (flag) => values[flag] as string | undefined;
}

/** The entry's weights file under its plugin's default name in `dir` (WEIGHTS_MISSING if absent). */
export function weightsIn(entry: ProtocolEntry, dir: string): ResolvedWeights {
  const plugin = getPlugin(entry.task);
  return resolveWeights(plugin, entry.network, {
    file: join(dir, defaultWeightsFile(plugin, entry.network)),
  });
}
