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

const HELP = { help: { type: 'boolean', short: 'h' } } as const;
type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O & typeof HELP; allowPositionals: true; strict: true }>
>;

/** Typed flags and positionals; a bad flag prints the usage (exit 2), `-h/--help` prints it (exit 0). */
export function parseCommandLine<O extends Options>(name: string, usage: string, options: O): Parsed<O> {
  let parsed: Parsed<O>;
  try {
    parsed = parseArgs({ options: { ...options, ...HELP }, allowPositionals: true, strict: true });
  } catch (err) {
    usageError(name, usage, (err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return parsed;
}

/** The flags' string values, for scripts that take no positionals. */
export function parseFlags(
  name: string,
  usage: string,
  options: Options,
): (flag: string) => string | undefined {
  const { values, positionals } = parseCommandLine(name, usage, options);
  if (positionals.length > 0)
    usageError(name, usage, `Expected only flags but received "${positionals.join(' ')}"`);
  const flags = values as Record<string, string | boolean | undefined>;
  return (flag) => flags[flag] as string | undefined;
}

/** The entry's weights file under its plugin's default name in `dir` (WEIGHTS_MISSING if absent). */
export function weightsIn(entry: ProtocolEntry, dir: string): ResolvedWeights {
  const plugin = getPlugin(entry.task);
  return resolveWeights(plugin, entry.network, {
    file: join(dir, defaultWeightsFile(plugin, entry.network)),
  });
}
