#!/usr/bin/env node
/**
 * Ships trained weights as the plugins' defaults: `node scripts/ship-weights.ts <trained>...`
 * writes each file as float16 into the project's `weights/` folder under the name its plugin looks
 * for, keeping the trainer's provenance (data, degradation, steps, sessions, hardware) and adding
 * how it was shipped. With `--metrics docs/quality/eval.json`, the test-split results of
 * `npm run eval` for that network are stamped into the file's metrics (the tensors, and so the
 * weights hash, stay the same).
 *
 * An existing shipped file is replaced only with --overwrite: the rule is to commit a network's
 * weights only when they beat the committed ones (compare with `npm run eval` first).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { bundledWeightsDir } from '../src/core/config.ts';
import { formatError } from '../src/core/errors.ts';
import { weightsHash } from '../src/models/weights/hash.ts';
import { loadWeights, saveWeights } from '../src/models/weights/safetensors.ts';
import { getPlugin } from '../src/plugins/registry.ts';
import { defaultWeightsFile } from '../src/plugins/weights-path.ts';
import { parseCommandLine, usageError } from './script-cli.ts';

const USAGE =
  'usage: node scripts/ship-weights.ts <trained.safetensors>... [--overwrite] [--dir <folder>] [--note <text>] [--metrics eval.json [--metrics-only]]';

const { values, positionals } = parseCommandLine('ship-weights', USAGE, {
  metrics: { type: 'string' },
  overwrite: { type: 'boolean', default: false },
  /** Another folder than the project's weights/ (e.g. float16 copies to carry back from a GPU machine). */
  dir: { type: 'string' },
  'metrics-only': { type: 'boolean', default: false },
  /** Said in the shipped provenance, e.g. what a start file without provenance was. */
  note: { type: 'string' },
});

/** The eval.json entries for one weights file, matched by network and weights hash. */
async function evalMetrics(path: string, network: string, hash: string): Promise<Record<string, unknown>> {
  const report = JSON.parse(await readFile(path, 'utf8')) as {
    results?: { network?: string; weights?: { hash?: string }; [k: string]: unknown }[];
  };
  const mine = (report.results ?? []).filter((r) => r.network === network && r.weights?.hash === hash);
  if (mine.length === 0)
    throw new Error(`${path} has no results for ${network} weights ${hash.slice(0, 12)}`);
  return { 'bsds500-test': mine };
}

async function ship(file: string): Promise<void> {
  const w = await loadWeights(resolve(file));
  const { arch, task } = w.metadata;
  if (!task) throw new Error(`${file} does not name its task; train it with durn train`);
  const dir = values.dir ? resolve(values.dir) : bundledWeightsDir();
  const target = join(dir, defaultWeightsFile(getPlugin(task), arch));
  const hash = weightsHash(w.tensors);
  await mkdir(dir, { recursive: true });
  const provenance = values['metrics-only']
    ? w.metadata.provenance
    : {
        ...w.metadata.provenance,
        shipped: {
          from: basename(file),
          dtype: 'float16',
          date: new Date().toISOString().slice(0, 10),
          ...(values.note ? { note: values.note } : {}),
        },
      };
  const metrics = values.metrics
    ? { ...w.metadata.metrics, ...(await evalMetrics(values.metrics, arch, hash)) }
    : w.metadata.metrics;
  await saveWeights(
    target,
    {
      metadata: {
        ...w.metadata,
        ...(provenance ? { provenance } : {}),
        ...(metrics ? { metrics } : {}),
      },
      tensors: w.tensors,
    },
    { dtype: 'float16', overwrite: values.overwrite || values['metrics-only'] },
  );
  console.log(`${file} → ${target} (${arch}, float16)`);
}

if (positionals.length === 0)
  usageError('ship-weights', USAGE, 'Expected at least one weights file but received none');
let failed = false;
for (const file of positionals) {
  try {
    await ship(file);
  } catch (err) {
    console.error(`ship-weights: ${formatError(err)}`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
