/**
 * Finding a task's weights file. Search order:
 *   1. an explicit file: `--weights FILE` (this run's task) or `--weights TASK=FILE`;
 *   2. the user models folder (`$DURN_MODELS_DIR`, else `$XDG_DATA_HOME/durn/models`, else
 *      `~/.local/share/durn/models`);
 *   3. the project's own `weights/` folder (or `$DURN_WEIGHTS_DIR`).
 * Only paths are resolved here; reading the safetensors file is src/models/weights' job.
 */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundledWeightsDir, type ConfigContext, userModelsDir } from '../core/config.ts';
import { DurnBugError, DurnUserError } from '../core/errors.ts';
import type { NetworkId } from '../models/graph/types.ts';
import type { TaskPlugin } from './types.ts';

export interface WeightsOverrides {
  /** `--weights FILE`: used for whatever network the run's (single) task picks. */
  readonly file?: string;
  /** `--weights TASK=FILE`, by task id. */
  readonly byTask?: Readonly<Record<string, string>>;
}

export type WeightsSource = 'option' | 'user' | 'bundled';

export interface ResolvedWeights {
  readonly path: string;
  readonly source: WeightsSource;
}

export interface ResolveContext extends ConfigContext {
  /** Overrides the project's weights folder (tests). */
  readonly bundledDir?: string;
}

/**
 * Splits a `--weights` argument: `TASK=FILE` when the part before `=` is a task id, else a plain
 * file (so paths containing `=` still work).
 */
export function parseWeightsArgument(
  arg: string,
  isTask: (id: string) => boolean,
): { task: string; file: string } | { file: string } {
  const eq = arg.indexOf('=');
  if (eq > 0 && isTask(arg.slice(0, eq))) return { task: arg.slice(0, eq), file: arg.slice(eq + 1) };
  return { file: arg };
}

function explicitFile(plugin: TaskPlugin, overrides: WeightsOverrides): string | undefined {
  return overrides.byTask?.[plugin.id] ?? overrides.file;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export function defaultWeightsFile(plugin: TaskPlugin, network: NetworkId): string {
  const file = plugin.defaultWeights[network];
  if (!file) throw new DurnBugError(`task ${plugin.id} does not use network ${network}`);
  return file;
}

/** The folders searched for a default weights file, in order. */
export function weightsSearchDirs(c: ResolveContext = {}): { dir: string; source: 'user' | 'bundled' }[] {
  return [
    { dir: userModelsDir(c), source: 'user' },
    { dir: c.bundledDir ?? bundledWeightsDir(c), source: 'bundled' },
  ];
}

/** The weights file for `plugin` running `network`, or WEIGHTS_MISSING saying where it looked. */
export function resolveWeights(
  plugin: TaskPlugin,
  network: NetworkId,
  overrides: WeightsOverrides = {},
  c: ResolveContext = {},
): ResolvedWeights {
  const explicit = explicitFile(plugin, overrides);
  if (explicit !== undefined) {
    const path = resolve(c.cwd ?? process.cwd(), explicit);
    if (isFile(path)) return { path, source: 'option' };
    throw new DurnUserError(
      'WEIGHTS_MISSING',
      `The weights file ${path} given for ${plugin.id} does not exist`,
      {
        file: path,
        hint: 'check the path given to --weights',
      },
    );
  }
  const file = defaultWeightsFile(plugin, network);
  const dirs = weightsSearchDirs(c);
  for (const { dir, source } of dirs) {
    const path = join(dir, file);
    if (isFile(path)) return { path, source };
  }
  throw missingWeights(
    plugin,
    network,
    file,
    dirs.map((d) => d.dir),
  );
}

function missingWeights(plugin: TaskPlugin, network: NetworkId, file: string, dirs: string[]): DurnUserError {
  const userDir = dirs[0]!;
  return new DurnUserError(
    'WEIGHTS_MISSING',
    `No weights for ${plugin.id} (network ${network}): looked for ${file} in ${dirs.join(' and ')}`,
    {
      file,
      hint:
        `train them with \`durn train ${plugin.id} --data <folder>\`, or import the authors' released ` +
        `checkpoint with \`durn models import <file.pt> --arch ${network} --out ${join(userDir, file)}\`, ` +
        'or pass a file with --weights',
    },
  );
}

export interface WeightsStatus {
  readonly network: NetworkId;
  readonly file: string;
  readonly present: boolean;
  /** Where it was found (when present). */
  readonly path?: string;
  readonly source?: WeightsSource;
  /** Where it was looked for. */
  readonly searched: readonly string[];
}

/** Per network of the task: is a weights file there, and where (for `durn presets show`, the TUI). */
export function weightsStatus(
  plugin: TaskPlugin,
  overrides: WeightsOverrides = {},
  c: ResolveContext = {},
): WeightsStatus[] {
  return plugin.networks.map((network) => {
    const file = defaultWeightsFile(plugin, network);
    const explicit = explicitFile(plugin, overrides);
    const searched =
      explicit !== undefined
        ? [resolve(c.cwd ?? process.cwd(), explicit)]
        : weightsSearchDirs(c).map((d) => join(d.dir, file));
    try {
      const found = resolveWeights(plugin, network, overrides, c);
      return { network, file, present: true, path: found.path, source: found.source, searched };
    } catch (err) {
      if (err instanceof DurnUserError && err.code === 'WEIGHTS_MISSING') {
        return { network, file, present: false, searched };
      }
      throw err;
    }
  });
}
