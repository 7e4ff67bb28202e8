/**
 * Every file's output decided before any network runs, so a run can never lose a photo:
 * - files durn wrote itself (its XMP provenance says so), found by a folder or glob search, are
 *   not restored again (a second run beside the inputs would write `-restored-restored`);
 * - no output may be an input of this run, with or without overwrite;
 * - two inputs may not share an output (`A/x.jpg B/x.jpg` into one folder, `y.png y.jpg` as PNG);
 * - outputs that exist already are skipped now, not after the network ran (unless overwrite).
 */
import { stat } from 'node:fs/promises';
import { relative } from 'node:path';
import sharp from 'sharp';
import { DurnUserError } from '../../core/errors.ts';
import { type OutputFormat, type OutputNaming, outputPath } from './outputs.ts';

export interface PlannedFile {
  readonly input: string;
  readonly output: string;
}

export interface OutputPlan {
  readonly files: readonly PlannedFile[];
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

export interface PlanOptions {
  readonly format: OutputFormat | null;
  readonly naming: OutputNaming;
  readonly overwrite: boolean;
  /** Inputs the user named one by one: restored even when durn wrote them (a deliberate chain). */
  readonly named: ReadonlySet<string>;
}

/** True when the file's XMP history has a restoration recorded by durn. */
export async function writtenByDurn(file: string): Promise<boolean> {
  try {
    const { xmp } = await sharp(file).metadata();
    if (!xmp) return false;
    const text = xmp.toString('utf8');
    return /softwareAgent(?:>|=")durn \d/i.test(text) && /action(?:>|=")restored/i.test(text);
  } catch {
    return false; // not readable as an image: restoring it reports why
  }
}

export async function planOutputs(inputs: readonly string[], opts: PlanOptions): Promise<OutputPlan> {
  const skipped: { file: string; reason: string }[] = [];
  const taken: string[] = [];
  for (const input of inputs) {
    if (!opts.named.has(input) && (await writtenByDurn(input))) {
      skipped.push({
        file: input,
        reason: 'written by durn (its XMP history says so); name the file itself to restore it again',
      });
    } else taken.push(input);
  }
  const inputSet = new Set(taken);
  const byOutput = new Map<string, string[]>();
  const files: PlannedFile[] = [];
  for (const input of taken) {
    const output = outputPath(input, opts.format, opts.naming);
    byOutput.set(output, [...(byOutput.get(output) ?? []), input]);
    files.push({ input, output });
  }
  const asInputs = files.filter((f) => inputSet.has(f.output));
  if (asInputs.length > 0) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected outputs that are not inputs of this run but ${list(asInputs.map((f) => `${short(f.input)} would be written to ${short(f.output)}`))}`,
      { hint: 'durn never replaces a photo it reads: choose another output folder or another suffix' },
    );
  }
  const shared = [...byOutput].filter(([, from]) => from.length > 1);
  if (shared.length > 0) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected one input per output but ${list(shared.map(([out, from]) => `${from.map(short).join(' and ')} would all be written to ${short(out)}`))}`,
      { hint: 'restore them to separate folders (one run per folder), or give them distinct names' },
    );
  }
  if (opts.overwrite) return { files, skipped };
  const free: PlannedFile[] = [];
  for (const f of files) {
    if (
      await stat(f.output).then(
        () => true,
        () => false,
      )
    ) {
      skipped.push({ file: f.input, reason: `${f.output} already exists; the overwrite option replaces it` });
    } else free.push(f);
  }
  return { files: free, skipped };
}

function short(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function list(items: readonly string[]): string {
  const shown = items.slice(0, 3).join('; ');
  return items.length > 3 ? `${shown}; and ${items.length - 3} more` : shown;
}
