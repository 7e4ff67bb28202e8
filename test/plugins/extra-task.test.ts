/**
 * Adding a task is one folder, nothing else: a task written into a temp folder outside src/ (its
 * own tiny network, a trivial damage model, its loss and defaults) is registered from that folder
 * and then trained (in worker threads, which load the folder's module themselves), evaluated, and
 * used to restore a photo by the real `durn` binary, which finds it through $DURN_PLUGINS (and runs
 * the task's own network in its tile workers).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWeights } from '../../src/models/weights/safetensors.ts';
import { getPlugin, registerPluginFolder, taskIds } from '../../src/plugins/registry.ts';
import { evaluateModel, train } from '../../src/plugins/training.ts';
import { PROJECT_ROOT } from '../helpers/shared.ts';
import { writeScenes } from '../training/trainer/images.ts';

const SRC = pathToFileURL(resolve(PROJECT_ROOT, 'src')).href;

/**
 * The whole task. A published plugin would import these from 'durn' (the library exports them);
 * this one imports durn's sources, as a folder next to a checkout would.
 */
const PLUGIN = `
import { z } from 'zod';
import { GraphBuilder } from '${SRC}/models/graph/builder.ts';
import { convR } from '${SRC}/models/networks/blocks.ts';
import { defineNetwork } from '${SRC}/models/networks/index.ts';
import { degradationsOf, defineTaskPlugin } from '${SRC}/plugins/common.ts';

// A tiny residual network from durn's own blocks: input + tanh(conv(relu(conv(input)))).
const b = new GraphBuilder(3);
const hidden = b.relu(convR(b, 'conv1', b.input, 4, 3));
const graph = b.build(b.addValues(b.tanh(convR(b, 'conv2', hidden, 3, 3)), b.input));
const network = defineNetwork({
  id: 'tiny-brighten',
  title: 'Tiny brightener',
  purpose: 'dimmed photos (a test task)',
  graph,
  receptiveRadius: 2,
  macsPerPixel: 3 * 4 * 9 + 4 * 3 * 9,
});

// The damage model: the photo dimmed by a random factor.
const schema = z.object({ amount: z.number().min(0).max(0.9).default(0.3) }).strict();
const dim = {
  name: 'dim',
  summary: 'multiplies every value by 1 - amount',
  channels: [1, 3],
  schema,
  sample: (rng) => ({ amount: rng.uniform(0.2, 0.5) }),
  apply: (image, p) => ({ ...image, data: image.data.map((v) => v * (1 - p.amount)) }),
};

const tiling = { tile: 64, overlap: 4, note: 'local network, radius 2' };

export const plugin = defineTaskPlugin({
  id: 'brighten',
  title: 'Brighten',
  description: 'Undo dimming (a task added from a folder outside durn).',
  order: 99,
  network: { grey: 'tiny-brighten', colour: 'tiny-brighten' },
  definitions: [network],
  defaultWeights: { 'tiny-brighten': 'brighten.tiny-brighten.safetensors' },
  channels: { grey: 'replicated', note: 'RGB network' },
  tiling: { 'tiny-brighten': tiling },
  training: {
    'tiny-brighten': {
      name: 'brighten',
      degradation: dim,
      colorSpace: 'rgb',
      loss: 'l2',
      lr: 1e-3,
      patch: 16,
      batch: 2,
      schedule: { kind: 'cosine', minFactor: 0 },
      margin: 0,
      valPatch: 16,
    },
  },
});

export const degradations = degradationsOf(plugin);
`;

let dir: string;
let folder: string;
let data: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durn-extra-task-'));
  // The folder's own imports (zod) resolve as they would next to an installed durn.
  await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  folder = join(dir, 'brighten');
  await mkdir(folder);
  await writeFile(join(folder, 'index.ts'), PLUGIN);
  data = join(dir, 'photos');
  await writeScenes(data, 3, 32, 32);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a task added as one folder outside src/', () => {
  it('registers beside the built-in tasks', async () => {
    const plugin = await registerPluginFolder(folder);
    expect(plugin.id).toBe('brighten');
    expect(taskIds()).toEqual(['denoise', 'deblur', 'dehaze', 'raindrop', 'derain', 'brighten']);
    expect(getPlugin('brighten').networkFor({ channels: 3 })).toBe('tiny-brighten');
    await expect(registerPluginFolder(folder)).rejects.toThrow(/already registered/);
  });

  it('trains in worker threads, evaluates, and restores with the durn binary', async () => {
    const out = join(dir, 'brighten.tiny-brighten.safetensors');
    const trained = await train({
      task: 'brighten',
      data,
      from: 'scratch',
      steps: 2,
      workers: 2,
      valLimit: 2,
      out,
    });
    expect(trained.step).toBe(2);
    expect(trained.config.degradation).toBe('brighten');
    expect(trained.losses.every(Number.isFinite)).toBe(true);
    const weights = await loadWeights(out, 'tiny-brighten');
    expect(weights.metadata.task).toBe('brighten');

    const evaluated = await evaluateModel({ task: 'brighten', data, weights: out, limit: 2 });
    expect(evaluated.task).toBe('brighten');
    expect(evaluated.images).toBe(2);
    expect(evaluated.rows.map((r) => r.kind)).toEqual(['input', 'network']);
    expect(evaluated.rows.every((r) => Number.isFinite(r.psnr))).toBe(true);

    const restored = join(dir, 'restored');
    const r = await durn(
      [
        'restore',
        data,
        '--task',
        'brighten',
        '--weights',
        out,
        '--out',
        restored,
        '--workers',
        '1',
        '--json',
      ],
      { DURN_PLUGINS: folder },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const files = (await readdir(restored)).sort();
    expect(files).toEqual(['scene-00.png', 'scene-01.png', 'scene-02.png']);
    const meta = await sharp(join(restored, files[0]!)).metadata();
    expect([meta.width, meta.height]).toEqual([32, 32]);
  });
});

function durn(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, [join(PROJECT_ROOT, 'src/cli.ts'), ...args], {
      env: { ...process.env, ...env, CI: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    proc.on('error', fail);
    proc.on('close', (code) => done({ code: code ?? 1, stderr }));
  });
}
