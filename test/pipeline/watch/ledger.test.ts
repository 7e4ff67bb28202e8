import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/pipeline/watch/ledger.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-ledger-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('Ledger', () => {
  it('records each content once per chain and survives reopening', () => {
    const file = join(dir, 'a.db');
    const l = new Ledger(file);
    expect(l.needsWork('h1', 'c1', false)).toBe(true);
    l.markInFlight('h1', 'c1', '/in/a.jpg');
    l.markDone('h1', 'c1', '/in/a.jpg', '/out/a.jpg');
    expect(l.needsWork('h1', 'c1', false)).toBe(false);
    l.close();
    const again = new Ledger(file);
    expect(again.needsWork('h1', 'c1', false)).toBe(false);
    expect(again.byPath('/in/a.jpg')[0]).toMatchObject({ state: 'done', output: '/out/a.jpg', attempts: 1 });
    again.close();
  });

  it('makes done photos eligible under another chain only when asked to reprocess', () => {
    const l = new Ledger(join(dir, 'b.db'));
    l.markDone('h1', 'c1', '/in/a.jpg', '/out/a.jpg');
    expect(l.needsWork('h1', 'c2', false)).toBe(false);
    expect(l.needsWork('h1', 'c2', true)).toBe(true);
    expect(l.needsWork('h2', 'c1', false)).toBe(true);
    l.close();
  });

  it('does not retry a recorded failure of the same content, and forgets on request', () => {
    const l = new Ledger(join(dir, 'c.db'));
    l.markFailed('h3', 'c1', '/in/bad.jpg', 'not an image');
    expect(l.needsWork('h3', 'c1', false)).toBe(false);
    expect(l.counts()).toMatchObject({ failed: 1 });
    expect(l.forget('/in/bad.jpg')).toBe(1);
    expect(l.needsWork('h3', 'c1', false)).toBe(true);
    l.close();
  });

  it('turns work left in flight by a killed process (kill -9) back into pending work', () => {
    const file = join(dir, 'd.db');
    const script = `
      import { Ledger } from ${JSON.stringify(join(process.cwd(), 'src/pipeline/watch/ledger.ts'))};
      const l = new Ledger(${JSON.stringify(file)});
      l.markDone('done', 'c', '/in/1.jpg', '/out/1.jpg');
      l.markInFlight('busy', 'c', '/in/2.jpg');
      process.kill(process.pid, 'SIGKILL');
    `;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(res.signal).toBe('SIGKILL');
    const l = new Ledger(file);
    expect(l.recovered).toBe(1);
    expect(l.pending().map((r) => r.path)).toEqual(['/in/2.jpg']);
    expect(l.needsWork('busy', 'c', false)).toBe(true);
    expect(l.needsWork('done', 'c', false)).toBe(false);
    l.close();
  });
});
