/** The documented exit statuses of the real `durn` binary: 0 for help and version, 2 for bad usage. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const CLI = resolve(import.meta.dirname, '../../src/cli.ts');
const durn = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    input: '',
    env: { ...process.env, CI: '' },
  });

describe('durn exit status', () => {
  test('help and version exit 0', () => {
    for (const args of [['--help'], ['--version'], ['restore', '--help'], ['help']]) {
      expect(durn(...args).status, args.join(' ')).toBe(0);
    }
  });
  test('bad usage exits 2 and says what was wrong', () => {
    const unknown = durn('restore', '--bogus', 'x.jpg');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const missing = durn('restore');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'inputs'");
    expect(durn('no-such-command').status).toBe(2);
    // Not on a terminal: `durn` alone prints the help rather than opening the UI.
    const bare = durn();
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('Usage: durn');
  });
});
