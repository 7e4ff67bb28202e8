/** Broken, foreign and malicious files: each a clear error, and never an output file. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DurnErrorCode } from '../../../../src/core/errors.ts';
import type { NetworkId } from '../../../../src/models/graph/types.ts';
import {
  importCheckpointToFile,
  readTorchFile,
  stateDictOf,
} from '../../../../src/models/weights/pytorch/import.ts';
import { loadTorchObject } from '../../../../src/models/weights/pytorch/read.ts';
import { describeShared, FIXTURES } from '../../../helpers/shared.ts';
import { listDir, makeLegacy, makeTempDirs, makeZip, OS_SYSTEM_PICKLE, pk } from '../helpers.ts';

const tmp = makeTempDirs();

/** Imports `bytes` (written to in/ckpt.pt) into out/; expects `code` and no file left in out/. */
async function importFails(bytes: Buffer, code: DurnErrorCode, arch: NetworkId = 'durn-p'): Promise<Error> {
  const dir = tmp();
  mkdirSync(join(dir, 'in'));
  mkdirSync(join(dir, 'out'));
  const input = join(dir, 'in', 'ckpt.pt');
  writeFileSync(input, bytes);
  const err = await importCheckpointToFile(input, arch, join(dir, 'out', 'w.safetensors')).then(
    () => null,
    (e: Error) => e,
  );
  expect(err, 'the import should fail').not.toBeNull();
  expect(err).toMatchObject({ code, file: input });
  expect(err!.message).toContain(input);
  expect(listDir(join(dir, 'out'))).toEqual([]);
  return err!;
}

const torchZip = (pickle: Buffer, extra: [string, Buffer][] = []) =>
  makeZip([['archive/data.pkl', pickle], ['archive/version', Buffer.from('3\n')], ...extra]);

describe('importCheckpointToFile refuses bad input and writes nothing', () => {
  it('an empty file', async () => {
    const err = await importFails(Buffer.alloc(0), 'CHECKPOINT_INVALID');
    expect(err.message).toMatch(/Expected a PyTorch checkpoint .* but received an empty file$/);
  });

  it('random bytes', async () => {
    const bytes = randomBytes(4096);
    bytes[0] = 0x42; // not a zip or pickle by chance
    const err = await importFails(bytes, 'CHECKPOINT_INVALID');
    expect(err.message).toMatch(/but received a file of 4096 bytes starting with 42/);
  });

  it('a zip that is not a checkpoint', async () => {
    const zip = makeZip([['photos/readme.txt', Buffer.from('hello')]]);
    const err = await importFails(zip, 'CHECKPOINT_INVALID');
    expect(err.message).toMatch(/a zip of 1 entries without data\.pkl/);
  });

  it('a zip whose entry is damaged (CRC mismatch)', async () => {
    const zip = torchZip(Buffer.from('\x80\x02}q\x00.', 'latin1'));
    zip[30 + 16 + 3]! ^= 0xff; // flip a byte of the pickle
    const err = await importFails(zip, 'CHECKPOINT_INVALID');
    expect(err.message).toMatch(/CRC-32/);
  });

  it('a pickle that is not a dict of tensors', async () => {
    const list = Buffer.from('\x80\x02]q\x00(K\x01K\x02e.', 'latin1'); // [1, 2]
    const err = await importFails(torchZip(list), 'CHECKPOINT_INVALID');
    expect(err.message).toMatch(/Expected a state_dict .* but received a list of 2 items/);
    await expect(
      importFails(torchZip(Buffer.from('\x80\x02}q\x00.', 'latin1')), 'CHECKPOINT_INVALID'),
    ).resolves.toBeDefined();
  });

  it('a pickle calling os.system, in a zip like torch writes', async () => {
    const err = await importFails(torchZip(OS_SYSTEM_PICKLE), 'CHECKPOINT_UNSAFE');
    expect(err.message).toMatch(
      /^Refusing to load .*ckpt\.pt: the pickle references os\.system, which a PyTorch state_dict never needs$/,
    );
  });

  it('a pickle calling os.system, as a legacy stream', async () => {
    const err = await importFails(makeLegacy(OS_SYSTEM_PICKLE), 'CHECKPOINT_UNSAFE');
    expect(err.message).toMatch(/references os\.system/);
  });

  it('other code-running globals, by GLOBAL or STACK_GLOBAL, nested inside a tensor', async () => {
    for (const [module, name] of [
      ['posix', 'system'],
      ['builtins', 'eval'],
      ['subprocess', 'Popen'],
      ['torch', 'load'],
      ['builtins', 'set'],
    ]) {
      const global = Buffer.from(`\x80\x02}q\x00X\x01\x00\x00\x00kc${module}\n${name}\nq\x01s.`, 'latin1');
      const err = await importFails(torchZip(global), 'CHECKPOINT_UNSAFE');
      expect(err.message).toContain(`${module}.${name}`);
    }
    // Protocol 4: STACK_GLOBAL takes the names from the stack.
    const m = 'os';
    const n = 'system';
    const p4 = Buffer.concat([
      Buffer.from([0x80, 0x04, 0x8c, m.length]),
      Buffer.from(m),
      Buffer.from([0x8c, n.length]),
      Buffer.from(n),
      Buffer.from([0x93, 0x2e]),
    ]);
    expect((await importFails(torchZip(p4), 'CHECKPOINT_UNSAFE')).message).toContain('os.system');
  });
});

describe('hand-built checkpoints', () => {
  it('unwraps a training checkpoint and strips the DataParallel prefix, saying so', async () => {
    const obj = await loadTorchObject(join(import.meta.dirname, '../fixtures/wrapped.zip.pt'));
    const { tensors, notes } = stateDictOf(obj, 'wrapped.zip.pt');
    expect([...tensors.keys()]).toEqual(['a.weight', 'a.bias']);
    expect(notes.join('\n')).toMatch(/under "state_dict" \(ignored: epoch, best_psnr, arch, optimizer\)/);
    expect(notes.join('\n')).toMatch(/module\./);
  });

  it('refuses a checkpoint with two candidate state_dicts rather than guess', async () => {
    const weights = pk.dict([['w', pk.tensor('0', [2])]]);
    const pickle = pk.pickle(
      pk.dict([
        ['model', weights],
        ['net', weights],
        ['epoch', pk.int(3)],
      ]),
    );
    const err = await importFails(
      torchZip(pickle, [['archive/data/0', Buffer.alloc(8)]]),
      'CHECKPOINT_INVALID',
    );
    expect(err.message).toMatch(/Expected one state_dict .* but received several candidates: "model", "net"/);
  });

  it('refuses a tensor that reaches past its storage', async () => {
    const pickle = pk.pickle(pk.dict([['w', pk.tensor('0', [4], 4)]]));
    const err = await importFails(
      torchZip(pickle, [['archive/data/0', Buffer.alloc(8)]]),
      'CHECKPOINT_INVALID',
    );
    expect(err.message).toMatch(/reaches element 3 of a storage of 2 elements/);
  });

  it('refuses a checkpoint whose storage entry is missing', async () => {
    const pickle = pk.pickle(pk.dict([['w', pk.tensor('0', [2])]]));
    const err = await importFails(torchZip(pickle), 'CHECKPOINT_INVALID');
    expect(err.message).toMatch(/the storage of w \(archive\/data\/0\) is missing/);
  });
});

describeShared('importCheckpointToFile on damaged or mismatched reference checkpoints', () => {
  it('a truncated zip (a real checkpoint cut short)', async () => {
    const full = readFileSync(join(FIXTURES, 'durn_p.zip.pt'));
    for (const keep of [0.5, 0.999]) {
      const err = await importFails(full.subarray(0, Math.floor(full.length * keep)), 'CHECKPOINT_INVALID');
      expect(err.message).toMatch(/truncated/);
    }
  });

  it('a truncated legacy checkpoint', async () => {
    const full = readFileSync(join(FIXTURES, 'durn_p.legacy.pt'));
    const err = await importFails(full.subarray(0, full.length - 100), 'CHECKPOINT_INVALID');
    expect(err.message).toMatch(/truncated/);
  });

  it('the right file with the wrong --arch names the first mismatch and suggests the right one', async () => {
    const u = readFileSync(join(FIXTURES, 'durn_u.zip.pt'));
    const err = (await importFails(u, 'WEIGHTS_MISMATCH', 'durn-us')) as Error & { hint?: string };
    expect(err.message).toMatch(/does not hold durn-us weights: Expected/);
    expect(err.hint).toBe('These tensors match durn-u: use --arch durn-u.');
    const p = readFileSync(join(FIXTURES, 'durn_p.zip.pt'));
    const err2 = (await importFails(p, 'WEIGHTS_MISMATCH', 'durn-p-nonorm')) as Error & { hint?: string };
    expect(err2.message).toMatch(
      /Expected shape \[32,3,3,3\] for conv1\.conv2d\.weight but received \[32,1,3,3\]/,
    );
    expect(err2.hint).toMatch(/use --arch durn-p\./);
  });

  it('readTorchFile names the file when it is not a checkpoint', async () => {
    await expect(readTorchFile(join(FIXTURES, 'durn_p.input.npy'))).rejects.toMatchObject({
      code: 'CHECKPOINT_INVALID',
      file: join(FIXTURES, 'durn_p.input.npy'),
    });
  });
});
