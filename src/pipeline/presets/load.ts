/**
 * Loading presets from folders: the built-ins (`<package>/presets`) and the user's
 * (`<config dir>/presets`). Later folders win, so a user preset overrides a built-in of the same
 * name. A broken file does not hide the others: it becomes a problem, raised only when that
 * preset is asked for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundledPresetsDir, type ConfigContext, userPresetsDir } from '../../core/config.ts';
import { DurnUserError } from '../../core/errors.ts';
import {
  type PresetCatalog,
  type PresetEntry,
  type PresetProblem,
  parsePreset,
  presetFileName,
} from './preset.ts';

export interface PresetDir {
  readonly dir: string;
  readonly origin: 'builtin' | 'user';
}

export function defaultPresetDirs(c: ConfigContext = {}): PresetDir[] {
  return [
    { dir: bundledPresetsDir(), origin: 'builtin' },
    { dir: userPresetsDir(c), origin: 'user' },
  ];
}

export function loadPresets(options: { dirs?: readonly PresetDir[] } & ConfigContext = {}): PresetCatalog {
  const dirs = options.dirs ?? defaultPresetDirs(options);
  const presets = new Map<string, PresetEntry>();
  const problems: PresetProblem[] = [];
  for (const { dir, origin } of dirs) {
    const files = listDir(dir, origin);
    if (files instanceof DurnUserError) {
      problems.push({ name: '', file: dir, error: files });
      continue;
    }
    const seen = new Map<string, string>();
    for (const name of files.sort()) {
      const parsedName = presetFileName(name);
      if (!parsedName) continue;
      const file = join(dir, name);
      const twin = seen.get(parsedName.name);
      if (twin) {
        problems.push({
          name: parsedName.name,
          file,
          error: new DurnUserError(
            'INVALID_INPUT',
            `Two files define preset "${parsedName.name}": ${twin} and ${file}`,
            {
              file,
              hint: 'keep one of them',
            },
          ),
        });
        presets.delete(parsedName.name);
        continue;
      }
      seen.set(parsedName.name, file);
      try {
        const preset = parsePreset(readFileSync(file, 'utf8'), parsedName.format, file);
        const previous = presets.get(preset.name);
        presets.set(preset.name, {
          preset,
          origin,
          file,
          ...(previous && previous.origin === 'builtin' && origin === 'user'
            ? { overrides: previous.file }
            : {}),
        });
      } catch (err) {
        const error =
          err instanceof DurnUserError
            ? err
            : new DurnUserError('IO', `Cannot read preset ${file}: ${(err as Error).message}`, {
                file,
                cause: err,
              });
        problems.push({ name: parsedName.name, file, error });
      }
    }
  }
  return { presets, problems };
}

/** File names in `dir`; a missing user folder is simply empty. */
function listDir(dir: string, origin: PresetDir['origin']): string[] | DurnUserError {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => e.name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && origin === 'user') return [];
    return new DurnUserError('IO', `Cannot read the presets folder ${dir}: ${(err as Error).message}`, {
      file: dir,
      cause: err,
    });
  }
}
