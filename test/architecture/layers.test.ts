/**
 * The layer rules (.dependency-cruiser.cjs, run by `npm run deps` in `npm test`) must hold on the
 * tree, and must catch a forbidden import: a copy of src/ passes, then fails once a lower layer
 * imports a higher one. The copy lives in a temp folder; the tree is never touched.
 */
import { execFile } from 'node:child_process';
import { appendFile, cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/shared.ts';

let dir: string;

async function depcruise(cwd: string): Promise<{ code: number; output: string }> {
  const bin = join(PROJECT_ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
  try {
    const r = await promisify(execFile)(
      process.execPath,
      [bin, 'src', '--config', '.dependency-cruiser.cjs'],
      {
        cwd,
      },
    );
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-layers-'));
  await cp(join(PROJECT_ROOT, 'src'), join(dir, 'src'), { recursive: true });
  for (const f of ['.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) {
    await cp(join(PROJECT_ROOT, f), join(dir, f));
  }
  await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('layer rules', () => {
  it('pass on an untouched copy of the tree', async () => {
    const r = await depcruise(dir);
    expect(r.output).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });

  it('fail, naming the rule, on an upward import, a cycle, commander or ink out of place', async () => {
    // The pipeline reaching for the terminal UI, and the trainer reaching for a task.
    await appendFile(
      join(dir, 'src/pipeline/run/run.ts'),
      "\nexport { isCi } from '../../tui/terminal.ts';\n",
    );
    await appendFile(
      join(dir, 'src/training/trainer.ts'),
      "\nexport { plugin } from '../plugins/denoise/index.ts';\n",
    );
    // A run-time cycle (run.ts already imports outputs.ts).
    await appendFile(join(dir, 'src/pipeline/run/outputs.ts'), "\nexport { startRun } from './run.ts';\n");
    // A plugin parsing arguments, and the pipeline drawing.
    await appendFile(join(dir, 'src/plugins/common.ts'), "\nexport { Command } from 'commander';\n");
    await appendFile(join(dir, 'src/pipeline/events.ts'), "\nexport { Box } from 'ink';\n");
    const r = await depcruise(dir);
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(
      /only-cli-parses-arguments[\s\S]*src\/plugins\/common\.ts → \S*node_modules\/commander/,
    );
    expect(r.output).toMatch(/no-circular[\s\S]*src\/pipeline\/run\/outputs\.ts/);
    expect(r.output).toMatch(/only-tui-draws[\s\S]*src\/pipeline\/events\.ts → \S*node_modules\/ink/);
    expect(r.output).toMatch(
      /pipeline-is-a-library[\s\S]*src\/pipeline\/run\/run\.ts → src\/tui\/terminal\.ts/,
    );
    expect(r.output).toMatch(
      /training-is-generic[\s\S]*src\/training\/trainer\.ts → src\/plugins\/denoise\/index\.ts/,
    );
  });
});
