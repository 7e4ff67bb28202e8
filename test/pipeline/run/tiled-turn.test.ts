/**
 * Tiled steps take the pool in turn: the tile memory and threads one chooses are the whole pool's,
 * so two large photos restored at once run one after the other, not interleaved.
 */
import { expect, it } from 'vitest';
import type { RunEvent } from '../../../src/pipeline/events.ts';
import { restoreTensor } from '../../../src/pipeline/run/restore-tensor.ts';
import { generateScene } from '../../../src/pipeline/samples/scenes.ts';
import { getPlugin } from '../../../src/plugins/registry.ts';
import { scratchPoolForFile } from '../../helpers/pool.ts';

const s = scratchPoolForFile('denoise', 'durn-p-nonorm');

const steps = () => [
  { plugin: getPlugin('denoise'), options: { strength: 0.5 }, weights: { 'durn-p-nonorm': s.weights } },
];

it('runs two tiled photos one after the other, every tile of the first before the second starts', async () => {
  const events: { file: string; type: string }[] = [];
  const emit = (e: RunEvent) => {
    if ((e.type === 'tile-done' || e.type === 'step-start') && 'file' in e)
      events.push({ file: e.file, type: e.type });
  };
  const ctx = (file: string) => ({ pool: s.pool, file, emit, tiling: { tile: 80, overlap: 16 } });
  await Promise.all([
    restoreTensor(generateScene({ width: 150, height: 200, seed: 1 }), steps(), ctx('a.png')),
    restoreTensor(generateScene({ width: 150, height: 200, seed: 2 }), steps(), ctx('b.png')),
  ]);
  const files = events.map((e) => e.file);
  const first = files[0]!;
  const switchAt = files.findIndex((f) => f !== first);
  expect(switchAt).toBeGreaterThan(4); // the first photo's step-start and all its tiles
  expect(files.slice(switchAt).every((f) => f !== first)).toBe(true);
  expect(events[switchAt]!.type).toBe('step-start');
});

it('lets a step give up its place while waiting, and the next one still gets its turn', async () => {
  const endFirst = await s.pool.tiledTurn();
  const abort = new AbortController();
  const second = s.pool.tiledTurn(abort.signal);
  let thirdStarted = false;
  const third = s.pool.tiledTurn().then((end) => {
    thirdStarted = true;
    return end;
  });
  abort.abort();
  await expect(second).rejects.toThrow(/cancelled/);
  await new Promise((r) => setTimeout(r, 20));
  expect(thirdStarted).toBe(false); // the first still holds the pool
  endFirst();
  (await third)();
  expect(thirdStarted).toBe(true);
});
