/**
 * Weights by content: a worker finds the file a job names by SHA-256 among the safetensors files
 * in its models folders (the same folders `durn restore` searches, plus --weights-dir). Hashes
 * are cached per path, size and mtime; a miss rescans once, so a file installed while the worker
 * runs is found without a restart. No weights travel through Redis.
 */
import { readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DurnUserError } from '../../core/errors.ts';
import { weightsSearchDirs } from '../../plugins/weights-path.ts';
import { fileSha256 } from '../run/restore-file.ts';

export class WeightsIndex {
  private readonly dirs: readonly string[];
  private byHash = new Map<string, string>();
  private scanned: Promise<void> | null = null;

  constructor(extraDirs: readonly string[] = []) {
    this.dirs = [...extraDirs, ...weightsSearchDirs().map((d) => d.dir)];
  }

  private async scan(): Promise<void> {
    const next = new Map<string, string>();
    for (const dir of this.dirs) {
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.sort()) {
        if (!name.endsWith('.safetensors')) continue;
        const path = join(dir, name);
        const hash = await fileSha256(path).catch(() => null);
        if (hash && !next.has(hash)) next.set(hash, path);
      }
    }
    this.byHash = next;
  }

  /** The path of the weights with this hash, or WEIGHTS_MISSING naming the file to install. */
  async find(
    sha256: string,
    wanted: { file: string; task: string; network: string },
    worker: string,
  ): Promise<string> {
    this.scanned ??= this.scan();
    await this.scanned;
    if (!this.byHash.has(sha256)) {
      this.scanned = this.scan();
      await this.scanned;
    }
    const path = this.byHash.get(sha256);
    if (path) return path;
    throw new DurnUserError(
      'WEIGHTS_MISSING',
      `Expected weights ${wanted.file} (${wanted.task}, ${wanted.network}, sha256 ${sha256.slice(0, 12)}…) on worker ${worker} but it has no file with that hash in ${this.dirs.join(', ')}`,
      {
        file: wanted.file,
        hint: `install the submitter's ${wanted.file} on ${hostname()} (\`durn models install <file> --task ${wanted.task}\`, or copy it into ${this.dirs[0]}), then retry the job`,
      },
    );
  }
}
