/**
 * The watch folder in-process, with real chokidar, real worker threads and real files: bursts,
 * slow writers, bad files, folders nested in the input, renames and deletes, reprocessing.
 */
import { mkdir, mkdtemp, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, WatchEvent } from '../../../src/pipeline/events.ts';
import { closeMetadata } from '../../../src/pipeline/metadata/exiftool.ts';
import { parseRestoreOptions } from '../../../src/pipeline/run/options.ts';
import {
  chainHash,
  defaultLedgerPath,
  Ledger,
  type WatchFolderOptions,
  watchFolder,
} from '../../../src/pipeline/watch/index.ts';
import { retryFile } from '../../../src/pipeline/watch/status.ts';
import { writeScratchWeights } from '../../helpers/models.ts';
import { greyPng, listFiles, sha256, waitFor, writeGreyPng } from './helpers.ts';

let dir: string;
const savedEnv = process.env.DURN_MODELS_DIR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-watch-'));
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p']);
});

afterAll(async () => {
  if (savedEnv === undefined) delete process.env.DURN_MODELS_DIR;
  else process.env.DURN_MODELS_DIR = savedEnv;
  await closeMetadata();
  await rm(dir, { recursive: true, force: true });
});

type Ev = RunEvent | WatchEvent;

/** Starts a watcher on a fresh folder pair; returns it with its event log and helpers. */
async function start(name: string, extra: Partial<WatchFolderOptions> = {}) {
  const input = join(dir, name, 'in');
  const out = extra.out ?? join(dir, name, 'out');
  await mkdir(input, { recursive: true });
  const events: Ev[] = [];
  const handle = await watchFolder(
    { input, out, task: 'denoise', workers: 2, settleMs: 200, ...extra },
    (e) => events.push(e),
  );
  await handle.ready;
  const of = <T extends Ev['type']>(t: T) =>
    events.filter((e): e is Extract<Ev, { type: T }> => e.type === t);
  const ledger = () => {
    const l = [...events].reverse().find((e) => e.type === 'ledger');
    return l?.type === 'ledger' ? l : { done: 0, failed: 0, pending: 0 };
  };
  return { input, out, handle, events, of, ledger };
}

describe('watchFolder', () => {
  it('restores a burst of 200 photos exactly once each, never more than `concurrency` at a time', async () => {
    const w = await start('burst', { concurrency: 2 });
    const names = Array.from({ length: 200 }, (_, i) => `p${String(i).padStart(3, '0')}.png`);
    await Promise.all(names.map((n, i) => writeGreyPng(join(w.input, n), i)));
    await waitFor(() => w.ledger().done === 200, '200 photos restored', 150_000);
    await w.handle.idle();
    await w.handle.stop();

    expect(w.of('file-failed')).toEqual([]);
    const done = w.of('file-done').map((e) => e.file);
    expect(done).toHaveLength(200);
    expect(new Set(done).size).toBe(200);
    expect(w.of('file-start')).toHaveLength(200);
    expect(await listFiles(w.out).then((f) => f.filter((x) => !x.startsWith('.durn')))).toEqual(names);
    expect(await listFiles(w.input)).toEqual(names); // originals left in place by default
    // Bounded: between a file's start and its end, at most two files were being restored.
    let running = 0;
    let most = 0;
    for (const e of w.events) {
      if (e.type === 'file-start') most = Math.max(most, ++running);
      if (e.type === 'file-done') running--;
    }
    expect(most).toBeLessThanOrEqual(2);
    const l = new Ledger(defaultLedgerPath(w.out), { recover: false });
    expect(l.counts()).toEqual({ pending: 0, inFlight: 0, done: 200, failed: 0 });
    l.close();
  });

  it('takes a file written slowly in chunks only once it is complete', async () => {
    const w = await start('slow', { settleMs: 800 });
    const full = await greyPng(64, 7);
    const path = join(w.input, 'slow.png');
    const chunks = 20;
    let complete = false;
    let queuedEarly = false;
    const fh = await open(path, 'w');
    const step = Math.ceil(full.length / chunks);
    for (let i = 0; i < chunks; i++) {
      if (w.events.some((e) => e.type === 'file-queued' && e.file === path)) queuedEarly = true;
      await fh.write(full.subarray(i * step, (i + 1) * step));
      await new Promise((r) => setTimeout(r, 100)); // 20 chunks over about 2 s
    }
    await fh.close();
    complete = true;
    await waitFor(() => w.ledger().done === 1, 'the slow file restored');
    await w.handle.stop();

    expect(complete).toBe(true);
    expect(queuedEarly).toBe(false);
    expect(w.of('file-failed')).toEqual([]);
    expect(w.of('file-start')).toHaveLength(1);
    const l = new Ledger(defaultLedgerPath(w.out), { recover: false });
    const rows = l.byPath(path);
    l.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: 'done', contentHash: sha256(full) });
    expect(await sharp(join(w.out, 'slow.png')).metadata()).toMatchObject({ width: 64, height: 64 });
  });

  it('quarantines corrupt photos with a reason, leaves non-image files and temp files alone, and never re-ingests its own folders', async () => {
    const base = join(dir, 'nested');
    const input = join(base, 'in');
    const opts = {
      out: join(input, 'restored'),
      failed: join(input, 'failed-photos'),
      processed: join(input, 'done'),
    };
    await mkdir(join(input, 'sub'), { recursive: true });
    await writeGreyPng(join(input, 'good1.png'), 1);
    await writeGreyPng(join(input, 'sub', 'good2.png'), 2);
    const whole = await greyPng(32, 3);
    await writeFile(join(input, 'corrupt.png'), whole.subarray(0, whole.length >> 1));
    await writeFile(join(input, 'notes.txt'), 'not a photo');
    await writeFile(join(input, 'IMG_0001.xmp'), '<x:xmpmeta xmlns:x="adobe:ns:meta/"/>');
    const ignored = [
      'IMG_0001.xmp',
      'notes.txt',
      '.hidden.png',
      'x.png.part',
      'y.jpg.crdownload',
      '~$lock.png',
      '.z.durn-tmp-0123456789ab.png',
    ];
    for (const n of ignored) await writeFile(join(input, n), whole);

    const w = await start('nested', opts);
    await waitFor(() => w.ledger().done === 2 && w.ledger().failed === 1, '2 restored and 1 failed');
    // A photo written after the moves settles no sooner than anything the moves could have re-fed.
    await writeGreyPng(join(input, 'late.png'), 4);
    await waitFor(() => w.ledger().done === 3, 'the late photo restored');
    await w.handle.idle();
    await w.handle.stop();

    const queued = w.of('file-queued').map((e) => e.file.slice(input.length + 1));
    expect(queued.sort()).toEqual(['corrupt.png', 'good1.png', 'late.png', 'sub/good2.png']);
    expect(w.of('file-failed').map((e) => [e.file.slice(input.length + 1), e.code])).toEqual([
      ['corrupt.png', 'INVALID_INPUT'],
    ]);
    expect(await listFiles(opts.failed)).toEqual(['corrupt.png', 'corrupt.png.error.txt']);
    const why = await readFile(join(opts.failed, 'corrupt.png.error.txt'), 'utf8');
    expect(why).toMatch(/durn could not restore .*corrupt\.png\nreason \(INVALID_INPUT\): .*cannot decode/);
    expect(why).toMatch(
      /to try again: durn watch --forget .*corrupt\.png.*\n {2}\(moves it back to .*in\/corrupt\.png/,
    );
    expect(await listFiles(opts.processed)).toEqual(['good1.png', 'late.png', 'sub/good2.png']);
    const outs = (await listFiles(opts.out)).filter((f) => !f.startsWith('.durn/'));
    expect(outs).toEqual(['good1.png', 'late.png', 'sub/good2.png']);
    expect((await listFiles(input)).filter((f) => !f.includes('/'))).toEqual(ignored.sort());
    expect(w.of('file-skipped').map((e) => e.file)).not.toContain(join(input, 'notes.txt'));

    // --forget is the whole retry: the ledger forgets it and it goes back where it came from.
    expect(await retryFile(join(opts.failed, 'corrupt.png'), opts.out)).toEqual({
      forgotten: 1,
      movedTo: join(input, 'corrupt.png'),
    });
    expect(await listFiles(opts.failed)).toEqual([]);
    expect(await readFile(join(input, 'corrupt.png'))).toEqual(whole.subarray(0, whole.length >> 1));
    const l = new Ledger(defaultLedgerPath(opts.out), { recover: false });
    expect(l.counts()).toMatchObject({ done: 3, failed: 0 });
    l.close();
  });

  it('handles inputs renamed or deleted before they were taken, without errors', async () => {
    const w = await start('renames', { settleMs: 1500 });
    await writeGreyPng(join(w.input, 'a.png'), 11);
    await writeGreyPng(join(w.input, 'b.png'), 12);
    await writeGreyPng(join(w.input, 'c.png'), 13);
    await rename(join(w.input, 'a.png'), join(w.input, 'renamed.png'));
    await rm(join(w.input, 'b.png'));
    await waitFor(() => w.ledger().done === 2, 'the renamed and the untouched photo restored');
    await w.handle.idle();
    await w.handle.stop();

    expect(w.of('file-failed')).toEqual([]);
    expect(w.of('notice').filter((e) => !/CUDA/.test(e.message))).toEqual([]);
    expect((await listFiles(w.out)).filter((f) => !f.startsWith('.durn/'))).toEqual(['c.png', 'renamed.png']);
  });

  it("tiles within the user's tile memory (--tile-memory reaches the watch's runs)", async () => {
    const w = await start('tile-memory', { tileMemory: 64 });
    await writeGreyPng(join(w.input, 'big.png'), 31, 400);
    await waitFor(() => w.ledger().done === 1, 'the photo restored');
    await w.handle.idle();
    await w.handle.stop();
    expect(w.of('file-failed')).toEqual([]);
    // 400² would run whole on the default (≥ 448 MB); 64 MB needs tiles, and the reason names it.
    const [step] = w.of('step-start');
    expect(step!.tiles).toBeGreaterThan(1);
    expect(step!.tileReason).toMatch(/--tile-memory/);
  });

  it('never restores a photo twice, unless the weights changed and reprocessing was asked for', async () => {
    const first = await start('again');
    await writeGreyPng(join(first.input, 'one.png'), 21);
    await writeGreyPng(join(first.input, 'copy-of-one.png'), 21); // same content, another name
    await waitFor(() => first.ledger().done === 1 && first.of('file-skipped').length === 1, 'one restored');
    await first.handle.idle();
    await first.handle.stop();
    expect(first.of('file-start')).toHaveLength(1);
    const firstOutput = first.of('file-done')[0]!.output;
    const firstBytes = await readFile(firstOutput);

    const same = await start('again');
    await waitFor(() => same.of('file-skipped').length === 2, 'both skipped on restart');
    await same.handle.stop();
    expect(same.of('file-start')).toEqual([]);

    const other = join(dir, 'models-2');
    const [weights] = await writeScratchWeights(other, 'denoise', ['durn-p'], 2);
    const changed = await start('again', { weights: { '*': weights! } });
    await waitFor(() => changed.of('file-skipped').length === 2, 'skipped under new weights');
    await changed.handle.stop();
    expect(changed.of('file-skipped')[0]!.reason).toMatch(/--reprocess/);

    const re = await start('again', { weights: { '*': weights! }, reprocess: true });
    await waitFor(() => re.of('file-done').length === 1 && re.of('file-skipped').length === 1, 'reprocessed');
    await re.handle.stop();
    // The reprocessed output is a new file: the first one is never replaced.
    expect((await listFiles(re.out)).filter((f) => !f.startsWith('.durn/'))).toHaveLength(2);
    expect(re.of('file-done')[0]!.output).not.toBe(firstOutput);
    expect(await readFile(firstOutput)).toEqual(firstBytes);
  });

  it('redoes work a killed watcher left in flight into its own claimed output, and removes its temp files', async () => {
    const base = join(dir, 'crashed');
    const input = join(base, 'in');
    const out = join(base, 'out');
    await mkdir(input, { recursive: true });
    await mkdir(join(out, 'sub'), { recursive: true });
    const photo = await writeGreyPng(join(input, 'a.png'), 31);
    // What kill -9 between writing the output and recording it leaves behind.
    const crashed = new Ledger(defaultLedgerPath(out));
    const chain = await chainHash(parseRestoreOptions({ inputs: [input], task: 'denoise', outDir: out }));
    crashed.markInFlight(sha256(photo), chain, join(input, 'a.png'));
    crashed.claimOutput(sha256(photo), chain, join(out, 'a.png'));
    crashed.close();
    await writeFile(join(out, 'a.png'), 'output of the interrupted attempt');
    await writeFile(join(out, 'sub', '.b.durn-tmp-0123456789ab.png'), 'half a file');

    const w = await start('crashed');
    await waitFor(() => w.ledger().done === 1, 'the interrupted photo redone');
    await w.handle.stop();
    expect(w.of('watch-start')[0]).toMatchObject({ recovered: 1 });
    expect((await listFiles(out)).filter((f) => !f.startsWith('.durn/'))).toEqual(['a.png']);
    expect(await sharp(join(out, 'a.png')).metadata()).toMatchObject({ width: 16, height: 16 });
  });
});
