/** `durn models import` and `durn models info`, run as the real binary. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/models/weights/safetensors.ts';
import { describeShared, FIXTURES, PROJECT_ROOT } from '../helpers/shared.ts';
import { listDir, makeTempDirs, makeZip, OS_SYSTEM_PICKLE } from '../models/weights/helpers.ts';

const run = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'src/cli.ts'), ...args]);
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
};

const tmp = makeTempDirs();

describe('durn models import (no reference data needed)', () => {
  it('refuses a malicious checkpoint with exit code 2 and writes nothing', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'evil.pt'), makeZip([['archive/data.pkl', OS_SYSTEM_PICKLE]]));
    const r = await run(
      'models',
      'import',
      join(dir, 'evil.pt'),
      '--arch',
      'durn-p',
      '--out',
      join(dir, 'w.safetensors'),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Refusing to load .*evil\.pt: the pickle references os\.system/);
    expect(listDir(dir)).toEqual(['evil.pt']);
  });

  it('rejects an unknown --arch and --dtype', async () => {
    const dir = tmp();
    const base = ['models', 'import', join(dir, 'x.pt'), '--out', join(dir, 'w.safetensors')];
    const a = await run(...base, '--arch', 'durn-x');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/Expected one of durn-p, .* for --arch but received "durn-x"/);
    const d = await run(...base, '--arch', 'durn-p', '--dtype', 'int8');
    expect(d.stderr).toMatch(/Expected float32 or float16 for --dtype but received "int8"/);
  });
});

describeShared('durn models import / info on a reference checkpoint', () => {
  it('imports, describes, refuses to overwrite, and overwrites when asked', async () => {
    const dir = tmp();
    const out = join(dir, 'p.safetensors');
    const ckpt = join(FIXTURES, 'durn_p.legacy.pt');
    const r = await run('models', 'import', ckpt, '--arch', 'durn-p', '--out', out, '--task', 'denoise');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wrote ${out} (durn-p, float32)`);
    expect((await loadWeights(out, 'durn-p')).metadata.task).toBe('denoise');

    const info = await run('models', 'info', out);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/arch: +durn-p \(DuRN-P/);
    expect(info.stdout).toMatch(/task: +denoise/);
    expect(info.stdout).toMatch(/dtype: +F32, I64/);
    expect(info.stdout).toMatch(/tensors: +191/);
    expect(info.stdout).toMatch(/hash: +[0-9a-f]{64}/);
    expect(info.stdout).toMatch(/"kind": "imported"/);

    const again = await run('models', 'import', ckpt, '--arch', 'durn-p', '--out', out);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists[\s\S]*--overwrite/);
    const half = await run(
      'models',
      'import',
      ckpt,
      '--arch',
      'durn-p',
      '--out',
      out,
      '--dtype',
      'float16',
      '--overwrite',
    );
    expect(half.code, half.stderr).toBe(0);
    expect((await run('models', 'info', out)).stdout).toMatch(/dtype: +F16, I64/);
    expect(listDir(dir)).toEqual(['p.safetensors']);
  });

  it('prints the unused keys and the instance-norm note', async () => {
    const dir = tmp();
    const u = await run(
      'models',
      'import',
      join(FIXTURES, 'durn_s_p.zip.pt'),
      '--arch',
      'durn-s-p',
      '--out',
      join(dir, 'a.safetensors'),
    );
    expect(u.stdout).toMatch(/unused: prelu\.weight/);
    const n = await run(
      'models',
      'import',
      join(FIXTURES, 'durn_u.zip.pt'),
      '--arch',
      'durn-u',
      '--out',
      join(dir, 'b.safetensors'),
    );
    expect(n.stdout).toMatch(/note: instance norm: shift set to scale/);
  });

  it('names the mismatch and the right --arch for the wrong one', async () => {
    const dir = tmp();
    const r = await run(
      'models',
      'import',
      join(FIXTURES, 'durn_p_no_norm.zip.pt'),
      '--arch',
      'durn-p',
      '--out',
      join(dir, 'w.safetensors'),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /Expected shape \[32,1,3,3\] for conv1\.conv2d\.weight but received \[32,3,3,3\]/,
    );
    expect(r.stderr).toMatch(/hint: These tensors match durn-p-nonorm: use --arch durn-p-nonorm\./);
    expect(listDir(dir)).toEqual([]);
  });
});
