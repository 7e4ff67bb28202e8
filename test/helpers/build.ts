/** Tests that run the real binary (bin/durn.js) need dist/ built from the current sources. */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/durn.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

/** Builds dist/ when it is missing or older than src/ (CI's `npm ci` has built it already). */
export function ensureBuilt(): void {
  const built = (() => {
    try {
      return statSync(join(ROOT, 'dist/cli.js')).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (built >= newest(join(ROOT, 'src'))) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}
