/**
 * The set-up's remembered defaults (`<config dir>/tui.json`): last folder, choice, output folder
 * and options. Validated with zod; a missing file is normal, a corrupt or invalid one is ignored
 * with a notice (never a crash), and writes are atomic so a crash mid-write cannot corrupt it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { type ConfigContext, userConfigDir } from '../../core/config.ts';
import { DurnUserError } from '../../core/errors.ts';

export const FORMATS = ['same', 'jpeg', 'png', 'webp', 'tiff', 'avif', 'heif'] as const;
export const ENGINES = ['auto', 'onnx', 'tfjs', 'torch'] as const;
export const DEVICES = ['auto', 'cpu', 'cuda'] as const;

export const RememberedSchema = z.object({
  version: z.literal(1),
  folder: z.string().min(1).optional(),
  choice: z.object({ kind: z.enum(['preset', 'task']), id: z.string().min(1) }).optional(),
  outDir: z.string().min(1).optional(),
  format: z.enum(FORMATS).default('same'),
  overwrite: z.boolean().default(false),
  /** 0 = automatic (the pipeline's default). */
  workers: z.number().int().min(0).max(256).default(0),
  engine: z.enum(ENGINES).default('auto'),
  device: z.enum(DEVICES).default('auto'),
});

export type Remembered = z.output<typeof RememberedSchema>;

export const DEFAULTS: Remembered = RememberedSchema.parse({ version: 1 });

export function rememberedPath(c: ConfigContext = {}): string {
  return join(userConfigDir(c), 'tui.json');
}

export interface LoadedRemembered {
  readonly value: Remembered;
  /** Why the file was ignored, for the set-up to show. */
  readonly notice?: string;
}

export async function loadRemembered(path: string): Promise<LoadedRemembered> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { value: DEFAULTS };
    return { value: DEFAULTS, notice: `Could not read ${path} (${(err as Error).message}); using defaults.` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { value: DEFAULTS, notice: `Ignored ${path}: it is not valid JSON; using defaults.` };
  }
  const parsed = RememberedSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'the file';
    return {
      value: DEFAULTS,
      notice: `Ignored ${path}: ${where}: ${issue?.message ?? 'invalid'}; using defaults.`,
    };
  }
  return { value: parsed.data };
}

/** Temp file in the same folder, then rename: readers see the old or the new file, never half. */
export async function saveRemembered(path: string, value: Remembered): Promise<void> {
  const dir = join(path, '..');
  const tmp = join(dir, `.tui.json.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw new DurnUserError(
      'IO',
      `Cannot save the terminal UI settings to ${path}: ${(err as Error).message}`,
      {
        file: path,
        cause: err,
      },
    );
  }
}
