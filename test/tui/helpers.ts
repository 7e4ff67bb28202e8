/** Keys as a terminal sends them, and temp folders of photos for the set-up tests. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  enter: '\r',
  esc: '\u001B',
  tab: '\t',
  backspace: '\u007F',
  ctrlU: '\u0015',
} as const;

/** Files named by relative path; image files get a few bytes (the set-up only reads names). */
export async function photoTree(files: string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'durn-tui-'));
  for (const f of files) {
    const path = join(root, f);
    await mkdir(f.endsWith('/') ? path : dirname(path), { recursive: true });
    if (!f.endsWith('/')) await writeFile(path, 'not really an image');
  }
  return root;
}
