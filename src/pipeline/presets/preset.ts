/**
 * Presets (pure): a named chain of task steps, e.g. hazy-and-noisy = dehaze → denoise.
 *
 *   name: night-shot
 *   description: Dark handheld shot: remove noise, then shake.
 *   steps:
 *     - task: denoise
 *       options: { strength: 0.8 }
 *     - task: deblur
 *
 * Each step's options are validated by its task's own schema, and errors name the file and the
 * path inside it.
 */
import { basename, extname } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { DurnUserError, expected } from '../../core/errors.ts';
import { parseWith } from '../../core/validation.ts';
import { getPlugin, isTaskId, taskIds } from '../../plugins/registry.ts';
import type { BaseTaskOptions, TaskPlugin } from '../../plugins/types.ts';

export type PresetFormat = 'yaml' | 'json';

export interface PresetStep {
  readonly task: string;
  /** Validated, defaults filled in. */
  readonly options: BaseTaskOptions;
}

export interface Preset {
  readonly name: string;
  readonly description: string;
  readonly steps: readonly PresetStep[];
}

export const PRESET_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const MAX_STEPS = 8;

const presetFile = z
  .object({
    name: z.string().regex(PRESET_NAME, { error: 'a name of lower-case letters, digits and dashes' }),
    description: z.string().min(1).max(500),
    steps: z
      .array(
        z
          .object({
            task: z.string(),
            options: z.record(z.string(), z.unknown()).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_STEPS),
  })
  .strict();

/** `night-shot.yaml` → `{ name: 'night-shot', format: 'yaml' }`; undefined for other files. */
export function presetFileName(file: string): { name: string; format: PresetFormat } | undefined {
  const ext = extname(file).toLowerCase();
  const format = ext === '.yaml' || ext === '.yml' ? 'yaml' : ext === '.json' ? 'json' : undefined;
  return format ? { name: basename(file, extname(file)), format } : undefined;
}

/**
 * Parses and validates a preset. `source` (a file path or label) appears in errors; when it names
 * a preset file, the preset's `name` must match the file name.
 */
export function parsePreset(text: string, format: PresetFormat, source: string): Preset {
  const raw = format === 'json' ? parseJson(text, source) : parseYaml(text, source);
  const base = parseWith(presetFile, raw, 'preset', source);
  const fromFile = presetFileName(source);
  if (fromFile && fromFile.name !== base.name) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `${expected(`"${fromFile.name}" (the file's name)`, 'name', base.name)} (${source}, name)`,
      { file: source, hint: 'rename the file or the preset so they match' },
    );
  }
  const steps = base.steps.map((step, i): PresetStep => {
    if (!isTaskId(step.task)) {
      throw new DurnUserError(
        'INVALID_OPTION',
        `${expected(`one of ${taskIds().join(', ')}`, 'task', step.task)} (${source}, steps[${i}].task)`,
        { file: source },
      );
    }
    const plugin = getPlugin(step.task);
    const options = parseWith(plugin.options, step.options ?? {}, `${step.task} options`, source, [
      'steps',
      i,
      'options',
    ]);
    return { task: step.task, options };
  });
  return { name: base.name, description: base.description, steps };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DurnUserError('INVALID_INPUT', `${source} is not valid JSON: ${(err as Error).message}`, {
      file: source,
    });
  }
}

function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const at = err.linePos?.[0] ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    // yaml's pretty message ends its first line with " at line L, column C:"; we say that first
    const what = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new DurnUserError('INVALID_INPUT', `${source} is not valid YAML${at}: ${what}`, { file: source });
  }
  return doc.toJS();
}

/** Where a preset came from. A user preset with a built-in's name replaces it. */
export interface PresetEntry {
  readonly preset: Preset;
  readonly origin: 'builtin' | 'user';
  readonly file: string;
  /** The built-in file this user preset overrides. */
  readonly overrides?: string;
}

export interface PresetProblem {
  /** The preset name the file would have had (its file name). */
  readonly name: string;
  readonly file: string;
  readonly error: DurnUserError;
}

export interface PresetCatalog {
  readonly presets: ReadonlyMap<string, PresetEntry>;
  /** Files that failed to load: shown by `presets list`, raised when the preset is asked for. */
  readonly problems: readonly PresetProblem[];
}

export interface ChainStep {
  readonly plugin: TaskPlugin;
  readonly options: BaseTaskOptions;
}

/** What a run executes: one task, or a preset's steps, in order. */
export interface Chain {
  readonly name: string;
  readonly kind: 'task' | 'preset';
  readonly description: string;
  /** The preset file, for presets. */
  readonly file?: string;
  readonly steps: readonly ChainStep[];
}

/**
 * Turns `--task` or `--preset` into a chain. `options` (for a single task only, e.g. from the
 * command line) are validated by the task's schema.
 */
export function resolveTaskOrPreset(
  request: { readonly task?: string; readonly preset?: string; readonly options?: unknown },
  catalog: PresetCatalog,
): Chain {
  const { task, preset } = request;
  if ((task === undefined) === (preset === undefined)) {
    throw new DurnUserError('INVALID_OPTION', 'Give either a task or a preset (exactly one)', {
      hint: `tasks: ${taskIds().join(', ')}; presets: ${[...catalog.presets.keys()].join(', ')}`,
    });
  }
  if (task !== undefined) {
    const plugin = getPlugin(task);
    const options = parseWith(plugin.options, request.options ?? {}, `${task} options`);
    return { name: task, kind: 'task', description: plugin.description, steps: [{ plugin, options }] };
  }
  if (request.options !== undefined) {
    throw new DurnUserError('INVALID_OPTION', `Task options cannot be combined with a preset (${preset})`, {
      hint: 'put the options in the preset file, or make a user preset with them',
    });
  }
  const entry = catalog.presets.get(preset!);
  if (!entry) {
    const problem = catalog.problems.find((p) => p.name === preset);
    if (problem) throw problem.error;
    throw new DurnUserError(
      'INVALID_OPTION',
      expected(`one of ${[...catalog.presets.keys()].join(', ')}`, 'the preset', preset),
      { hint: 'run `durn presets list`' },
    );
  }
  return {
    name: entry.preset.name,
    kind: 'preset',
    description: entry.preset.description,
    file: entry.file,
    steps: entry.preset.steps.map((s) => ({ plugin: getPlugin(s.task), options: s.options })),
  };
}
