import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { NetworkId } from '../../../../src/models/graph/types.ts';
import { getNetwork } from '../../../../src/models/networks/index.ts';
import {
  importCheckpoint,
  importCheckpointToFile,
  readTorchFile,
} from '../../../../src/models/weights/pytorch/import.ts';
import { loadWeights } from '../../../../src/models/weights/safetensors.ts';
import { describeShared, FIXTURES } from '../../../helpers/shared.ts';
import { listDir, makeTempDirs, sameTensor } from '../helpers.ts';

const FIXTURE_ARCH: [string, NetworkId][] = [
  ['durn_p', 'durn-p'],
  ['durn_p_no_norm', 'durn-p-nonorm'],
  ['durn_u', 'durn-u'],
  ['durn_us', 'durn-us'],
  ['durn_s', 'durn-s'],
  ['durn_s_p', 'durn-s-p'],
];
// Read lazily: on a fresh clone without ../shared these files don't exist and the suite skips.
const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as T;
const index = () => readJson<{ name: string; params: number }[]>('index.json');
const grads = () => readJson<{ name: string; n_grads: number }[]>('grad_index.json');

describeShared('importCheckpoint on the reference fixtures', () => {
  const tmp = makeTempDirs();

  for (const [name, arch] of FIXTURE_ARCH) {
    it(`imports ${name}.zip.pt as ${arch}: every graph parameter, the reference's parameter count`, async () => {
      const { tensors } = await importCheckpoint(join(FIXTURES, `${name}.zip.pt`), arch);
      const graph = getNetwork(arch).graph;
      expect([...tensors.keys()]).toEqual(graph.params.map((p) => p.name));
      for (const p of graph.params) {
        expect(tensors.get(p.name)!.shape).toEqual(p.shape);
        expect(tensors.get(p.name)!.dtype).toBe(p.dtype);
      }
      // index.json counts the reference's parameters (the unused prelu.weight included).
      const counted = graph.params
        .filter((p) => p.dtype === 'float32' && p.role !== 'bn.running_mean' && p.role !== 'bn.running_var')
        .reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), graph.unusedKeys.length);
      expect(counted).toBe(index().find((e) => e.name === name)!.params);
    });
  }

  it('maps the instance-norm quirk of durn-u: shift := scale, with a note', async () => {
    const path = join(FIXTURES, 'durn_u.zip.pt');
    const raw = await readTorchFile(path);
    const { tensors, notes } = await importCheckpoint(path, 'durn-u');
    const shifts = getNetwork('durn-u').graph.params.filter((p) => p.role === 'in.shift');
    expect(shifts.length).toBeGreaterThan(0);
    let differed = 0;
    for (const p of shifts) {
      const scale = p.name.replace(/\.shift$/, '.scale');
      expect(tensors.get(p.name)!.data).toEqual(raw.get(scale)!.data);
      expect(tensors.get(scale)!.data).toEqual(raw.get(scale)!.data);
      if (raw.get(p.name)!.data.some((v, i) => v !== raw.get(scale)!.data[i])) differed++;
    }
    expect(differed).toBeGreaterThan(0); // the fixture's stored shifts are random, so the mapping is visible
    expect(notes.join('\n')).toMatch(new RegExp(`shift set to scale in ${shifts.length} layers`));
  });

  it('reports the unused prelu.weight of durn-s-p without failing, and leaves it out', async () => {
    const { tensors, unused } = await importCheckpoint(join(FIXTURES, 'durn_s_p.zip.pt'), 'durn-s-p');
    expect(unused).toEqual(['prelu.weight']);
    expect(tensors.has('prelu.weight')).toBe(false);
    const { unused: none } = await importCheckpoint(join(FIXTURES, 'durn_s.zip.pt'), 'durn-s');
    expect(none).toEqual([]);
  });

  for (const [name, arch] of FIXTURE_ARCH.slice(0, 2)) {
    it(`reads ${name}.legacy.pt to the same tensors as its zip twin, and writes byte-identical files`, async () => {
      const zip = await importCheckpoint(join(FIXTURES, `${name}.zip.pt`), arch);
      const legacy = await importCheckpoint(join(FIXTURES, `${name}.legacy.pt`), arch);
      expect([...legacy.tensors.keys()]).toEqual([...zip.tensors.keys()]);
      for (const [k, t] of zip.tensors) expect(sameTensor(legacy.tensors.get(k), t), k).toBe(true);
      const dir = tmp();
      await importCheckpointToFile(join(FIXTURES, `${name}.zip.pt`), arch, join(dir, 'a.safetensors'));
      await importCheckpointToFile(join(FIXTURES, `${name}.legacy.pt`), arch, join(dir, 'b.safetensors'));
      expect(readFileSync(join(dir, 'a.safetensors')).equals(readFileSync(join(dir, 'b.safetensors')))).toBe(
        true,
      );
    });
  }

  it('views the checkpoint data instead of copying it (durn-u, 51 MB)', async () => {
    const { tensors } = await importCheckpoint(join(FIXTURES, 'durn_u.zip.pt'), 'durn-u');
    const buffers = new Set<ArrayBufferLike>();
    for (const [k, t] of tensors) if (!k.endsWith('.shift')) buffers.add(t.data.buffer);
    expect(buffers.size).toBe(1); // every tensor but the mapped shifts shares the file's buffer
  });

  it('writes a file that loads back with the same tensors', async () => {
    const dir = tmp();
    const out = join(dir, 'u.safetensors');
    const r = await importCheckpointToFile(join(FIXTURES, 'durn_u.zip.pt'), 'durn-u', out);
    expect(r.out).toBe(out);
    const loaded = await loadWeights(out);
    const { tensors } = await importCheckpoint(join(FIXTURES, 'durn_u.zip.pt'), 'durn-u');
    expect(loaded.metadata.arch).toBe('durn-u');
    expect(loaded.metadata.provenance).toMatchObject({ kind: 'imported' });
    for (const [k, t] of tensors) expect(sameTensor(loaded.tensors.get(k), t), k).toBe(true);
    expect(listDir(dir)).toEqual(['u.safetensors']);
  });
});

describeShared('readTorchFile on the gradient fixtures', () => {
  it('returns every gradient, named like the parameters', async () => {
    for (const g of grads()) {
      const t = await readTorchFile(join(FIXTURES, `${g.name}.gradcase.grads.zip.pt`));
      expect(t.size).toBe(g.n_grads);
      const arch: NetworkId = g.name === 'durn_p' ? 'durn-p' : 'durn-p-nonorm';
      const trainable = getNetwork(arch).graph.params.filter((p) => p.trainable);
      expect([...t.keys()].sort()).toEqual(trainable.map((p) => p.name).sort());
      for (const p of trainable) expect(t.get(p.name)!.shape).toEqual(p.shape);
    }
  });

  it('reads the running statistics after the training step', async () => {
    const t = await readTorchFile(join(FIXTURES, 'durn_p.gradcase.running_after.zip.pt'));
    const stats = getNetwork('durn-p').graph.params.filter(
      (p) => p.role === 'bn.running_mean' || p.role === 'bn.running_var',
    );
    expect([...t.keys()].sort()).toEqual(stats.map((p) => p.name).sort());
    for (const p of stats) expect(t.get(p.name)!.dtype).toBe('float32');
  });

  it('keeps num_batches_tracked as an int64 scalar', async () => {
    const t = await readTorchFile(join(FIXTURES, 'durn_p.zip.pt'));
    const counter = t.get('norm1.norm.num_batches_tracked')!;
    expect(counter).toMatchObject({ dtype: 'int64', shape: [] });
    expect(counter.data).toBeInstanceOf(BigInt64Array);
  });
});
