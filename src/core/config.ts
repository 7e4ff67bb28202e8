/**
 * Where durn keeps things outside the project: the user's models folder (weights) and config
 * folder (presets), and the package's own `weights/` and `presets/`.
 *
 * Environment and home are parameters (defaulting to the process's) so these stay testable.
 * XDG variables that are not absolute are ignored, as the XDG Base Directory spec asks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DurnBugError } from './errors.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigContext {
  readonly env?: Env;
  readonly home?: string;
  readonly cwd?: string;
}

function ctx(c: ConfigContext): { env: Env; home: string; cwd: string } {
  return { env: c.env ?? process.env, home: c.home ?? homedir(), cwd: c.cwd ?? process.cwd() };
}

function xdg(env: Env, name: string): string | undefined {
  const v = env[name];
  return v && isAbsolute(v) ? v : undefined;
}

/** `$DURN_MODELS_DIR`, else `$XDG_DATA_HOME/durn/models`, else `~/.local/share/durn/models`. */
export function userModelsDir(c: ConfigContext = {}): string {
  const { env, home, cwd } = ctx(c);
  if (env.DURN_MODELS_DIR) return resolve(cwd, env.DURN_MODELS_DIR);
  return join(xdg(env, 'XDG_DATA_HOME') ?? join(home, '.local/share'), 'durn/models');
}

/** `$DURN_CONFIG_DIR`, else `$XDG_CONFIG_HOME/durn`, else `~/.config/durn`. */
export function userConfigDir(c: ConfigContext = {}): string {
  const { env, home, cwd } = ctx(c);
  if (env.DURN_CONFIG_DIR) return resolve(cwd, env.DURN_CONFIG_DIR);
  return join(xdg(env, 'XDG_CONFIG_HOME') ?? join(home, '.config'), 'durn');
}

/** The user's presets: `<config dir>/presets`. */
export function userPresetsDir(c: ConfigContext = {}): string {
  return join(userConfigDir(c), 'presets');
}

let root: string | undefined;

/**
 * The folder holding durn's package.json, found by walking up from this module, so it is the
 * same whether durn runs from src/ (type stripping, tests) or from the compiled dist/.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'durn') {
          root = dir;
          return dir;
        }
      } catch {
        // an unreadable package.json on the way up is not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new DurnBugError(`durn's package.json not found above ${import.meta.url}`);
    dir = parent;
  }
}

/**
 * Weights shipped with the project: `<package>/weights`, or `$DURN_WEIGHTS_DIR` (packagers who ship
 * weights apart from the code; tests that need a durn without weights point it at an empty folder).
 */
export function bundledWeightsDir(c: ConfigContext = {}): string {
  const { env, cwd } = ctx(c);
  if (env.DURN_WEIGHTS_DIR) return resolve(cwd, env.DURN_WEIGHTS_DIR);
  return join(packageRoot(), 'weights');
}

/** Built-in presets: `<package>/presets`. */
export function bundledPresetsDir(): string {
  return join(packageRoot(), 'presets');
}
