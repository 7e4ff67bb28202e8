/**
 * The watch folder moves a photo to failed/ only for something about the photo itself:
 * configuration errors stop the watch at start (through the real binary, exit 2, nothing moved),
 * an error that is not the photo's (its weights vanished) leaves it in place, and an empty file is
 * reported rather than silently waited on.
 */
import { mkdir, mkdtemp, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, WatchEvent } from '../../../src/pipeline/events.ts';
import { closeMetadata } from '../../../src/pipeline/metadata/exiftool.ts';
import { watchFolder } from '../../../src/pipeline/watch/index.ts';
import { ensureBuilt, runDurn } from '../../helpers/binary.ts';
import { writeScratchWeights } from '../../helpers/models.ts';
import { listFiles, waitFor, writeGreyPng } from './helpers.ts';

let dir: string;
beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(join(tmpdir(), 'durn-watch-config-'));
  await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p']);
  await writeScratchWeights(join(dir, 'models'), 'deblur');
}, 300_000);
afterAll(async () => {
  await closeMetadata();
  await rm(dir, { recursive: true, force: true });
});

describe('durn watch refuses a bad configuration at start, before touching a photo', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'weights of another network',
      ['--task', 'deblur', '--weights', `deblur=${'MODELS'}/denoise-gray.durn-p.safetensors`],
      /Expected weights for durn-u for the task deblur but .* holds weights for durn-p/,
    ],
    [
      'an overlap no tile allows',
      ['--task', 'denoise', '--overlap', '400'],
      /Expected an overlap between 0 and \d+ for tile/,
    ],
    [
      '16 bits for JPEG output',
      ['--task', 'denoise', '--bit-depth', '16'],
      /Expected an output format that holds 16 bits/,
    ],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const input = join(dir, name.replaceAll(' ', '-'), 'in');
      await mkdir(input, { recursive: true });
      await writeGreyPng(join(input, 'a.png'), 1);
      const r = await runDurn(
        [
          'watch',
          input,
          '--out',
          join(input, '..', 'out'),
          ...args.map((a) => a.replace('MODELS', join(dir, 'models'))),
        ],
        { env: { DURN_MODELS_DIR: join(dir, 'models') } },
      );
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(await readdir(input)).toEqual(['a.png']);
      expect(await listFiles(join(input, '..', 'out'))).not.toContainEqual(
        expect.stringMatching(/^failed\//),
      );
    });
  }
});

describe('watchFolder at work', () => {
  it('leaves photos in place for an error that is not about them, sniffs names without an extension, reports an empty file', async () => {
    const models = join(dir, 'vanishing');
    const [weights] = await writeScratchWeights(models, 'denoise', ['durn-p']);
    const input = join(dir, 'work', 'in');
    const out = join(dir, 'work', 'out');
    await mkdir(input, { recursive: true });
    const events: (RunEvent | WatchEvent)[] = [];
    const handle = await watchFolder(
      {
        input,
        out,
        task: 'denoise',
        weights: { '*': weights! },
        workers: 1,
        settleMs: 150,
        maxRetries: 1,
        retryBaseMs: 10,
      },
      (e) => events.push(e),
    );
    await handle.ready;
    await unlink(weights!); // checked at start, gone now: the photo is not to blame
    await writeGreyPng(join(input, 'a.png'), 1);
    await writeFile(join(input, 'empty.png'), '');
    // No extension: decided by content. Notes are left alone; a PNG without a name is a photo.
    await writeFile(join(input, 'NOTES'), 'not a photo');
    await writeGreyPng(join(input, 'IMG_0002'), 2);
    await waitFor(() => events.filter((e) => e.type === 'file-failed').length === 2, 'the failures');
    await waitFor(
      () => events.some((e) => e.type === 'file-skipped' && e.file.endsWith('empty.png')),
      'the empty file reported',
    );
    await handle.stop();
    const failed = events.filter((e) => e.type === 'file-failed');
    expect(failed.map((e) => e.file.slice(input.length + 1)).sort()).toEqual(['IMG_0002', 'a.png']);
    for (const e of failed)
      expect(e).toMatchObject({ code: 'WEIGHTS_MISSING', error: expect.stringMatching(/left in place/) });
    expect(events.some((e) => 'file' in e && e.file.endsWith('NOTES'))).toBe(false);
    const empty = events.find((e) => e.type === 'file-skipped' && e.file.endsWith('empty.png'));
    expect(empty).toMatchObject({ reason: expect.stringMatching(/empty file \(0 bytes\)/) });
    expect((await readdir(input)).sort()).toEqual(['IMG_0002', 'NOTES', 'a.png', 'empty.png']);
    expect((await listFiles(out)).filter((f) => f.startsWith('failed/'))).toEqual([]);
  });
});
