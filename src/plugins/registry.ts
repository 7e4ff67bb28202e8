/**
 * The task registry. Tasks are discovered, not listed: every folder `src/plugins/<id>/` with an
 * `index.ts` (`index.js` once compiled to dist/) exporting `plugin` is a task whose id is the
 * folder name. Discovery runs once, at import (top-level await), so lookups stay synchronous.
 *
 * Tasks outside durn are folders of the same shape, added with `registerPluginFolder(dir)` (the
 * library API) or listed in `$DURN_PLUGINS` (folders separated like PATH; read at start, so the CLI
 * sees them). Registering a task registers the networks it defines and its degradations.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DurnBugError, DurnUserError, expected } from '../core/errors.ts';
import { getNetwork, isNetworkId, registerNetwork } from '../models/networks/index.ts';
import { registerDegradation } from '../training/degradations/index.ts';
import type { TaskPlugin } from './types.ts';

// The same extension as this module: .ts when run from src/, .js from dist/.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const DIR = dirname(fileURLToPath(import.meta.url));

interface Entry {
  readonly plugin: TaskPlugin;
  /** URL of the module that exports it (training workers import it for its degradations). */
  readonly module: string;
}

const BY_ID = new Map<string, Entry>();
let sorted: readonly TaskPlugin[] = [];

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function pluginEntry(dir: string): string | undefined {
  return [`index${EXT}`, 'index.ts', 'index.js', 'index.mjs'].map((f) => join(dir, f)).find(isFile);
}

/** Checks a task and makes it (its networks, its degradations) known; the id must be new. */
export function registerPlugin(plugin: TaskPlugin, module: string): void {
  if (!plugin || typeof plugin.networkFor !== 'function' || typeof plugin.id !== 'string') {
    throw new DurnBugError(`${module} does not export a task plugin as \`plugin\``);
  }
  if (BY_ID.has(plugin.id)) {
    throw new DurnUserError('INVALID_OPTION', `A task called "${plugin.id}" is already registered`, {
      hint: 'give the new task another id (and folder name)',
      file: module,
    });
  }
  for (const def of plugin.definitions ?? []) if (!isNetworkId(def.id)) registerNetwork(def);
  for (const n of plugin.networks) getNetwork(n); // an unknown network fails here, not mid-run
  for (const r of Object.values(plugin.training ?? {})) {
    if (!r) continue;
    registerDegradation(r.name, r.degradation);
    for (const e of r.evaluations ?? []) registerDegradation(e.degradation.name, e.degradation);
  }
  BY_ID.set(plugin.id, { plugin, module });
  sorted = [...BY_ID.values()]
    .map((e) => e.plugin)
    .sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

/**
 * Registers the task in folder `dir` (its `index.ts`/`index.js` exports `plugin` and
 * `degradations`); its id must be the folder's name. Returns the task.
 */
export async function registerPluginFolder(dir: string): Promise<TaskPlugin> {
  const folder = resolve(dir);
  const entry = pluginEntry(folder);
  if (!entry) {
    throw new DurnUserError(
      'INVALID_INPUT',
      expected('a folder with an index.ts or index.js', 'a task', folder),
      {
        file: folder,
      },
    );
  }
  const module = pathToFileURL(entry).href;
  const plugin = ((await import(module)) as { plugin?: TaskPlugin }).plugin;
  if (!plugin || typeof plugin.networkFor !== 'function') {
    throw new DurnBugError(`${entry} does not export a task plugin as \`plugin\``);
  }
  if (plugin.id !== basename(folder)) {
    throw new DurnBugError(`the task in ${folder} calls itself "${plugin.id}"; ids must match folders`);
  }
  registerPlugin(plugin, module);
  return plugin;
}

async function discover(): Promise<void> {
  for (const name of readdirSync(DIR).sort()) {
    if (!statSync(join(DIR, name)).isDirectory() || !isFile(join(DIR, name, `index${EXT}`))) continue;
    await registerPluginFolder(join(DIR, name));
  }
  for (const dir of (process.env.DURN_PLUGINS ?? '').split(delimiter)) {
    if (dir.trim() !== '') await registerPluginFolder(dir.trim());
  }
}

await discover();

/** All tasks, in listing order. */
export function listPlugins(): readonly TaskPlugin[] {
  return sorted;
}

export function taskIds(): string[] {
  return sorted.map((p) => p.id);
}

export function isTaskId(id: unknown): id is string {
  return typeof id === 'string' && BY_ID.has(id);
}

/** The task named `id`, or a DurnUserError listing the tasks there are. */
export function getPlugin(id: string, source?: string): TaskPlugin {
  const entry = BY_ID.get(id);
  if (!entry) {
    throw new DurnUserError('INVALID_OPTION', expected(`one of ${taskIds().join(', ')}`, 'the task', id), {
      hint: 'run `durn presets list` to see tasks and presets',
      ...(source === undefined ? {} : { file: source }),
    });
  }
  return entry.plugin;
}

/** The URL of the module that exports task `id`. */
export function pluginModule(id: string): string {
  const entry = BY_ID.get(id);
  if (!entry) throw new DurnBugError(`no task ${id} is registered`);
  return entry.module;
}
