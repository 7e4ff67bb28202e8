/**
 * A full run through the real pipeline (`startRun`): a folder of photos with one broken file,
 * rendered by the run dashboard. Weights are real safetensors files of seeded, untrained networks
 * (the pipeline does not care whether a network is trained; the UI only sees its events).
 */

import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, render } from 'ink-testing-library';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { RunEvent } from '../../src/pipeline/events.ts';
import { closeMetadata } from '../../src/pipeline/metadata/exiftool.ts';
import { startRun } from '../../src/pipeline/run/run.ts';
import { RunDashboardApp, type RunResult } from '../../src/tui/dashboard/RunDashboard.tsx';
import { writeScratchWeights } from '../helpers/models.ts';
import { eventually } from './fixtures.ts';

let dir: string;
const savedEnv = process.env.DURN_MODELS_DIR;

async function greyPhoto(path: string, w: number, h: number, seed: number): Promise<void> {
  const px = Buffer.alloc(w * h);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7 + seed * 13 + ((i / w) | 0) * 3) % 251;
  await sharp(px, { raw: { width: w, height: h, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(path);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-tui-run-'));
  process.env.DURN_MODELS_DIR = join(dir, 'models');
  await writeScratchWeights(join(dir, 'models'), 'denoise', ['durn-p']);
  await mkdir(join(dir, 'photos'));
  await greyPhoto(join(dir, 'photos', 'one.png'), 48, 36, 2);
  await greyPhoto(join(dir, 'photos', 'two.png'), 33, 20, 3);
  await writeFile(join(dir, 'photos', 'broken.png'), 'definitely not a png');
});

afterAll(async () => {
  cleanup();
  if (savedEnv === undefined) delete process.env.DURN_MODELS_DIR;
  else process.env.DURN_MODELS_DIR = savedEnv;
  await closeMetadata();
  await rm(dir, { recursive: true, force: true });
});

test('a folder with one bad file: the bad file shows as failed, the others complete, the summary says so', async () => {
  const events: RunEvent[] = [];
  const exits: RunResult[] = [];
  const options = { inputs: [join(dir, 'photos')], task: 'denoise', outDir: join(dir, 'out'), workers: 1 };
  const t = render(
    <RunDashboardApp
      start={(onEvent) =>
        startRun(options, (e) => {
          events.push(e);
          onEvent(e);
        })
      }
      onExit={(r) => exits.push(r)}
      waitAtEnd
    />,
  );
  const frame = () => t.lastFrame() ?? '';
  await eventually(() => expect(frame()).toContain('Finished: 2 restored, 1 failed, 0 skipped'), 120_000);
  const f = frame();
  expect(f).toMatch(/✗ .*broken\.png\s+\S/);
  expect(f).toMatch(/✓ .*one\.png\s+0\.0 MP/);
  expect(f).toMatch(/✓ .*two\.png/);
  // The summary names the file once, then says what was wrong with it.
  expect(f).toMatch(/✗ broken\.png: Expected an image/);
  // The dashboard saw tiles move, and what it shows is what the pipeline reported.
  expect(events.some((e) => e.type === 'tile-done')).toBe(true);
  expect((await readdir(join(dir, 'out'))).sort()).toEqual(['one.png', 'two.png']);
  t.stdin.write('e');
  await eventually(() => expect(frame()).toContain('Error details (1 failed)'));
  t.stdin.write('e');
  await eventually(() => expect(frame()).toContain('q/enter exit'));
  t.stdin.write('q');
  await eventually(() => expect(exits).toHaveLength(1));
  expect(exits[0]).toMatchObject({ stopped: false, summary: { done: 2, failed: 1 } });
});
