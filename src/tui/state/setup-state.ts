/**
 * The set-up screens' state: a pure reducer over key presses and the results of the little I/O
 * the screens need (folder listings, image counts, checking a typed path). I/O requests are data
 * in the state (`folder` to list, `pathCheck` to inspect, `result` to finish); SetupApp performs
 * them and dispatches what it found.
 */

import { dirname, resolve } from 'node:path';
import type { Key } from 'ink';
import type { RestoreOptions } from '../../pipeline/run/options.ts';
import { moveSelection } from '../components/SelectList.tsx';
import { editText, type TextValue, textValue } from '../components/TextInput.tsx';
import type { Catalog } from '../setup/catalog.ts';
import type { FolderListing, ImageCount, PathKind } from '../setup/folders.ts';
import { DEVICES, ENGINES, FORMATS, type Remembered } from '../setup/remembered.ts';

export const SCREENS = ['inputs', 'task', 'output', 'options', 'review'] as const;
export type Screen = (typeof SCREENS)[number];

export interface Selected {
  readonly path: string;
  readonly kind: 'folder' | 'image';
}

export interface SetupOptions {
  readonly format: (typeof FORMATS)[number];
  readonly overwrite: boolean;
  readonly workers: number;
  readonly engine: (typeof ENGINES)[number];
  readonly device: (typeof DEVICES)[number];
}

export const OPTION_FIELDS = ['format', 'overwrite', 'workers', 'engine', 'device'] as const;
export type OptionField = (typeof OPTION_FIELDS)[number];

export type SetupResult =
  | { readonly kind: 'start'; readonly options: RestoreOptions }
  | { readonly kind: 'quit' };

export interface SetupState {
  readonly screen: Screen;
  readonly notices: readonly string[];
  readonly cwd: string;
  /** For `~` in typed paths. */
  readonly home: string;
  readonly maxWorkers: number;
  // inputs
  readonly folder: string;
  readonly listing: FolderListing | undefined;
  readonly listingError: string | undefined;
  readonly counts: Readonly<Record<string, ImageCount>>;
  readonly cursor: number;
  readonly focus: 'list' | 'path';
  readonly path: TextValue;
  readonly pathCheck: string | undefined;
  readonly pathError: string | undefined;
  readonly selected: readonly Selected[];
  // task
  readonly catalog: Catalog;
  readonly choice: number;
  // output
  readonly outDir: TextValue;
  readonly outTouched: boolean;
  readonly outError: string | undefined;
  // options
  readonly options: SetupOptions;
  readonly optionCursor: number;
  readonly result: SetupResult | undefined;
}

export type SetupAction =
  | { readonly type: 'key'; readonly input: string; readonly key: Key }
  | { readonly type: 'listing'; readonly listing: FolderListing }
  | { readonly type: 'listing-error'; readonly folder: string; readonly message: string }
  | { readonly type: 'count'; readonly path: string; readonly count: ImageCount }
  | { readonly type: 'path-checked'; readonly path: string; readonly kind: PathKind['kind'] };

export function initialSetupState(init: {
  cwd: string;
  home: string;
  catalog: Catalog;
  remembered: Remembered;
  notices?: readonly string[];
  maxWorkers: number;
}): SetupState {
  const r = init.remembered;
  const choice = r.choice
    ? init.catalog.choices.findIndex((c) => c.kind === r.choice!.kind && c.id === r.choice!.id)
    : -1;
  return {
    screen: 'inputs',
    notices: [...(init.notices ?? []), ...init.catalog.problems],
    cwd: init.cwd,
    home: init.home,
    maxWorkers: init.maxWorkers,
    folder: r.folder ?? init.cwd,
    listing: undefined,
    listingError: undefined,
    counts: {},
    cursor: 0,
    focus: 'list',
    path: textValue(''),
    pathCheck: undefined,
    pathError: undefined,
    selected: [],
    catalog: init.catalog,
    choice: Math.max(0, choice),
    outDir: textValue(r.outDir ?? ''),
    outTouched: r.outDir !== undefined,
    outError: undefined,
    options: {
      format: r.format,
      overwrite: r.overwrite,
      workers: Math.min(r.workers, init.maxWorkers),
      engine: r.engine,
      device: r.device,
    },
    optionCursor: 0,
    result: undefined,
  };
}

export type InputRow =
  | { readonly kind: 'continue' }
  | { readonly kind: 'this'; readonly path: string }
  | { readonly kind: 'parent'; readonly path: string }
  | { readonly kind: 'folder' | 'image'; readonly path: string; readonly name: string };

/** The inputs screen's list, derived from the listing and the selection. */
export function inputRows(s: SetupState): InputRow[] {
  const rows: InputRow[] = [];
  if (s.selected.length > 0) rows.push({ kind: 'continue' });
  rows.push({ kind: 'this', path: s.folder });
  if (dirname(s.folder) !== s.folder) rows.push({ kind: 'parent', path: dirname(s.folder) });
  for (const e of s.listing?.entries ?? []) rows.push({ kind: e.kind, path: e.path, name: e.name });
  return rows;
}

export function isSelected(s: SetupState, path: string): boolean {
  return s.selected.some((x) => x.path === path);
}

/** Total images in the selection, and whether any count is still running or capped. */
export function selectedImages(s: SetupState): { images: number; pending: boolean; capped: boolean } {
  let images = 0;
  let pending = false;
  let capped = false;
  for (const sel of s.selected) {
    if (sel.kind === 'image') images++;
    else {
      const c = s.counts[sel.path];
      if (!c) pending = true;
      else {
        images += c.images;
        capped ||= c.capped;
      }
    }
  }
  return { images, pending, capped };
}

export function defaultOutDir(s: SetupState): string {
  const first = s.selected[0];
  if (!first) return resolve(s.cwd, 'restored');
  return resolve(first.kind === 'folder' ? first.path : dirname(first.path), 'restored');
}

export function toRestoreOptions(s: SetupState): RestoreOptions {
  const choice = s.catalog.choices[s.choice];
  const o = s.options;
  return {
    inputs: s.selected.map((x) => x.path),
    ...(choice?.kind === 'preset' ? { preset: choice.id } : { task: choice?.id ?? '' }),
    outDir: resolve(s.cwd, s.outDir.value),
    ...(o.format === 'same' ? {} : { format: o.format }),
    overwrite: o.overwrite,
    ...(o.workers > 0 ? { workers: o.workers } : {}),
    engine: o.engine,
    device: o.device,
  };
}

export function toRemembered(s: SetupState): Remembered {
  const choice = s.catalog.choices[s.choice];
  return {
    version: 1,
    folder: s.folder,
    ...(choice ? { choice: { kind: choice.kind, id: choice.id } } : {}),
    ...(s.outTouched && s.outDir.value ? { outDir: resolve(s.cwd, s.outDir.value) } : {}),
    ...s.options,
  };
}

/** Review warnings: things that would make the run fail or surprise. */
export function reviewProblems(s: SetupState): string[] {
  const problems: string[] = [];
  const { images, pending } = selectedImages(s);
  if (s.selected.length === 0) problems.push('No inputs selected.');
  else if (!pending && images === 0) problems.push('The selected folders contain no images.');
  const choice = s.catalog.choices[s.choice];
  if (!choice) problems.push('No task or preset chosen.');
  else if (choice.weights === 'missing') {
    problems.push(
      `Weights are missing for ${choice.title}: run \`durn presets show ${choice.id}\` to see how to get them.`,
    );
  } else if (choice.weights === 'partial') {
    problems.push(`Some weights for ${choice.title} are missing: photos needing them will fail.`);
  }
  return problems;
}

const step = (screen: Screen, delta: number): Screen =>
  SCREENS[Math.min(SCREENS.length - 1, Math.max(0, SCREENS.indexOf(screen) + delta))]!;

function cycle<T>(values: readonly T[], current: T, delta: number): T {
  const i = values.indexOf(current);
  return values[(i + delta + values.length) % values.length]!;
}

function openFolder(s: SetupState, folder: string): SetupState {
  return { ...s, folder, listing: undefined, listingError: undefined, cursor: 0 };
}

function toggle(s: SetupState, sel: Selected): SetupState {
  const selected = isSelected(s, sel.path)
    ? s.selected.filter((x) => x.path !== sel.path)
    : [...s.selected, sel];
  // The "Continue" row comes and goes with the selection; keep the highlight on the same entry.
  const shift = (selected.length > 0 ? 1 : 0) - (s.selected.length > 0 ? 1 : 0);
  return { ...s, selected, cursor: Math.max(0, s.cursor + shift) };
}

function next(s: SetupState): SetupState {
  const screen = step(s.screen, 1);
  if (screen === 'output' && !s.outTouched) return { ...s, screen, outDir: textValue(defaultOutDir(s)) };
  return { ...s, screen };
}

function back(s: SetupState): SetupState {
  if (s.screen === 'inputs') return { ...s, result: { kind: 'quit' } };
  return { ...s, screen: step(s.screen, -1) };
}

export function reduceSetup(s: SetupState, a: SetupAction): SetupState {
  switch (a.type) {
    case 'listing':
      if (a.listing.folder !== s.folder) return s; // a stale listing from a folder already left
      return {
        ...s,
        listing: a.listing,
        listingError: undefined,
        cursor: Math.min(s.cursor, inputRows(s).length),
      };
    case 'listing-error':
      return a.folder === s.folder
        ? { ...s, listingError: a.message, listing: { folder: a.folder, entries: [], images: 0 } }
        : s;
    case 'count':
      return { ...s, counts: { ...s.counts, [a.path]: a.count } };
    case 'path-checked':
      return pathChecked(s, a.path, a.kind);
    case 'key':
      return onKey(s, a.input, a.key);
  }
}

function pathChecked(s: SetupState, path: string, kind: PathKind['kind']): SetupState {
  if (s.pathCheck !== path) return s;
  const cleared = { ...s, pathCheck: undefined };
  if (kind === 'folder')
    return { ...openFolder(cleared, path), focus: 'list', path: textValue(''), pathError: undefined };
  if (kind === 'image') {
    return { ...toggle(cleared, { path, kind: 'image' }), path: textValue(''), pathError: undefined };
  }
  return {
    ...cleared,
    pathError: kind === 'missing' ? `No such file or folder: ${path}` : `Not an image: ${path}`,
  };
}

function onKey(s: SetupState, input: string, key: Key): SetupState {
  if (key.ctrl && input === 'c') return { ...s, result: { kind: 'quit' } };
  switch (s.screen) {
    case 'inputs':
      return s.focus === 'path' ? onPathKey(s, input, key) : onInputsKey(s, input, key);
    case 'task':
      return onTaskKey(s, input, key);
    case 'output':
      return onOutputKey(s, input, key);
    case 'options':
      return onOptionsKey(s, input, key);
    case 'review':
      if (key.return || input === 's')
        return { ...s, result: { kind: 'start', options: toRestoreOptions(s) } };
      if (key.escape || key.backspace || key.leftArrow || input === 'h') return back(s);
      if (input === 'q') return { ...s, result: { kind: 'quit' } };
      return s;
  }
}

const up = (input: string, key: Key) => key.upArrow || input === 'k';
const down = (input: string, key: Key) => key.downArrow || input === 'j';

function onInputsKey(s: SetupState, input: string, key: Key): SetupState {
  const rows = inputRows(s);
  const row = rows[s.cursor];
  if (up(input, key)) return { ...s, cursor: moveSelection(s.cursor, -1, rows.length) };
  if (down(input, key)) return { ...s, cursor: moveSelection(s.cursor, 1, rows.length) };
  if (key.pageUp) return { ...s, cursor: moveSelection(s.cursor, -10, rows.length) };
  if (key.pageDown) return { ...s, cursor: moveSelection(s.cursor, 10, rows.length) };
  if (key.tab || input === '/') return { ...s, focus: 'path', pathError: undefined };
  if (input === 'q' || key.escape) return { ...s, result: { kind: 'quit' } };
  if (key.backspace || key.leftArrow || input === 'h') {
    return dirname(s.folder) === s.folder ? s : openFolder(s, dirname(s.folder));
  }
  if (!row) return s;
  if (input === ' ') {
    if (row.kind === 'this') return toggle(s, { path: row.path, kind: 'folder' });
    if (row.kind === 'folder' || row.kind === 'image') return toggle(s, { path: row.path, kind: row.kind });
    return s;
  }
  if (key.return || key.rightArrow || input === 'l') {
    switch (row.kind) {
      case 'continue':
        return key.return ? next(s) : s;
      case 'this': {
        if (!key.return) return s;
        const withThis = isSelected(s, row.path) ? s : toggle(s, { path: row.path, kind: 'folder' });
        return next(withThis);
      }
      case 'parent':
      case 'folder':
        return openFolder(s, row.path);
      case 'image':
        return toggle(s, { path: row.path, kind: 'image' });
    }
  }
  return s;
}

function onPathKey(s: SetupState, input: string, key: Key): SetupState {
  if (key.tab || key.escape || key.upArrow || key.downArrow) return { ...s, focus: 'list' };
  if (key.return) {
    const typed = s.path.value.trim().replace(/^~(?=$|\/)/, s.home);
    if (!typed) return { ...s, focus: 'list' };
    return { ...s, pathCheck: resolve(s.folder, typed), pathError: undefined };
  }
  const edited = editText(s.path, input, key);
  return edited ? { ...s, path: edited, pathError: undefined } : s;
}

function onTaskKey(s: SetupState, input: string, key: Key): SetupState {
  const n = s.catalog.choices.length;
  if (up(input, key)) return { ...s, choice: moveSelection(s.choice, -1, n) };
  if (down(input, key)) return { ...s, choice: moveSelection(s.choice, 1, n) };
  if ((key.return || key.tab || key.rightArrow || input === 'l') && n > 0) return next(s);
  if (key.escape || key.backspace || key.leftArrow || input === 'h') return back(s);
  if (input === 'q') return { ...s, result: { kind: 'quit' } };
  return s;
}

function onOutputKey(s: SetupState, input: string, key: Key): SetupState {
  if (key.return || key.tab) {
    if (!s.outDir.value.trim()) return { ...s, outError: 'Type the folder the restored photos go to.' };
    return next({ ...s, outError: undefined });
  }
  if (key.escape) return back(s);
  const edited = editText(s.outDir, input, key);
  return edited ? { ...s, outDir: edited, outTouched: true, outError: undefined } : s;
}

function onOptionsKey(s: SetupState, input: string, key: Key): SetupState {
  const n = OPTION_FIELDS.length;
  if (up(input, key) || (key.tab && key.shift))
    return { ...s, optionCursor: moveSelection(s.optionCursor, -1, n) };
  if (down(input, key) || key.tab) return { ...s, optionCursor: (s.optionCursor + 1) % n };
  if (key.return) return next(s);
  if (key.escape || key.backspace) return back(s);
  if (input === 'q') return { ...s, result: { kind: 'quit' } };
  const delta =
    key.leftArrow || input === 'h' ? -1 : key.rightArrow || input === 'l' || input === ' ' ? 1 : 0;
  if (delta === 0) return s;
  const o = s.options;
  const workers = Array.from({ length: s.maxWorkers + 1 }, (_, i) => i);
  const field = OPTION_FIELDS[s.optionCursor]!;
  const changed: SetupOptions =
    field === 'format'
      ? { ...o, format: cycle(FORMATS, o.format, delta) }
      : field === 'overwrite'
        ? { ...o, overwrite: !o.overwrite }
        : field === 'workers'
          ? { ...o, workers: cycle(workers, o.workers, delta) }
          : field === 'engine'
            ? { ...o, engine: cycle(ENGINES, o.engine, delta) }
            : { ...o, device: cycle(DEVICES, o.device, delta) };
  return { ...s, options: changed };
}
