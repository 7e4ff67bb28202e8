/**
 * The task registry. Tasks are discovered, not listed: every folder `src/plugins/<id>/` with an
 * `index.ts` (`index.js` once compiled to dist/) exporting `plugin` is a task whose id is the
 * folder name. Discovery runs once, at import (top-level await), so lookups stay synchronous.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DurnBugError, DurnUserError, expected } from '../core/errors.ts';
import type { TaskPlugin } from './types.ts';

// The same extension as this module: .ts when run from src/, .js from dist/.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const DIR = dirname(fileURLToPath(import.meta.url));

async function discover(): Promise<TaskPlugin[]> {
  const found: TaskPlugin[] = [];
  for (const name of readdirSync(DIR).sort()) {
    const entry = join(DIR, name, `index${EXT}`);
    if (!statSync(join(DIR, name)).isDirectory() || !isFile(entry)) continue;
    const mod = (await import(pathToFileURL(entry).href)) as { plugin?: TaskPlugin };
    const plugin = mod.plugin;
    if (!plugin || typeof plugin.networkFor !== 'function') {
      throw new DurnBugError(`src/plugins/${name}/index${EXT} does not export a task plugin as \`plugin\``);
    }
    if (plugin.id !== name) {
      throw new DurnBugError(
        `the task in src/plugins/${name}/ calls itself "${plugin.id}"; ids must match folders`,
      );
    }
    found.push(plugin);
  }
  return found.sort((a, b) => a.order - b.order || a.id.localeCompare(b.id));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

const PLUGINS: readonly TaskPlugin[] = await discover();
const BY_ID = new Map(PLUGINS.map((p) => [p.id, p]));

/** All tasks, in listing order. */
export function listPlugins(): readonly TaskPlugin[] {
  return PLUGINS;
}

export function taskIds(): string[] {
  return PLUGINS.map((p) => p.id);
}

export function isTaskId(id: unknown): id is string {
  return typeof id === 'string' && BY_ID.has(id);
}

/** The task named `id`, or a DurnUserError listing the tasks there are. */
export function getPlugin(id: string, source?: string): TaskPlugin {
  const plugin = BY_ID.get(id);
  if (!plugin) {
    throw new DurnUserError('INVALID_OPTION', expected(`one of ${taskIds().join(', ')}`, 'the task', id), {
      hint: 'run `durn presets list` to see tasks and presets',
      ...(source === undefined ? {} : { file: source }),
    });
  }
  return plugin;
}
