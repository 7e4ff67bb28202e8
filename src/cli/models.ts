/** `durn models …`: list networks, import PyTorch checkpoints, inspect weight files. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { DurnUserError, expected } from '../core/errors.ts';
import { NETWORK_IDS } from '../models/graph/types.ts';
import { allNetworks, getNetwork } from '../models/networks/index.ts';
import { weightsHash } from '../models/weights/hash.ts';
import { importCheckpointToFile } from '../models/weights/pytorch/import.ts';
import { loadWeights } from '../models/weights/safetensors.ts';

const ImportCliOptions = z.object({
  arch: z.enum(NETWORK_IDS as [string, ...string[]]),
  out: z.string().min(1),
  dtype: z.enum(['float32', 'float16']).default('float32'),
  overwrite: z.boolean().default(false),
  task: z.string().min(1).optional(),
});

function parseImportOptions(opts: unknown) {
  const r = ImportCliOptions.safeParse(opts);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const key = String(issue.path[0] ?? 'options');
  const value = (opts as Record<string, unknown>)[key];
  const wanted: Record<string, string> = {
    arch: `one of ${NETWORK_IDS.join(', ')}`,
    dtype: 'float32 or float16',
    out: 'an output file',
  };
  throw new DurnUserError('INVALID_OPTION', expected(wanted[key] ?? issue.message, `--${key}`, value));
}

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('List networks and manage weight files.');
  models
    .command('list')
    .description('List the six DuRN networks with their sizes and costs.')
    .action(() => {
      for (const n of allNetworks()) {
        const params = n.graph.params
          .filter((p) => p.trainable)
          .reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
        console.log(
          `${n.id.padEnd(14)} ${n.title.padEnd(20)} ${n.purpose.padEnd(26)} ${(params / 1e6).toFixed(2)} M params, ` +
            `${(n.macsPerPixel / 1e6).toFixed(2)} M MAC/pixel, sides multiple of ${n.sizeMultiple}`,
        );
      }
    });

  models
    .command('import')
    .description('Import a PyTorch checkpoint (.pt/.pth, zip or legacy format) into a durn weights file.')
    .argument('<checkpoint>', 'the PyTorch state_dict file')
    .requiredOption('--arch <id>', `the network it holds: ${NETWORK_IDS.join(', ')}`)
    .requiredOption('--out <file>', 'the .safetensors file to write')
    .option('--dtype <dtype>', 'float32 or float16 (half the size; within 1/2048 relative)', 'float32')
    .option('--task <name>', 'the task these weights serve, recorded in the file (e.g. denoise)')
    .option('--overwrite', 'replace the output file if it exists', false)
    .action(async (checkpoint: string, raw: unknown) => {
      const o = parseImportOptions(raw);
      const arch = getNetwork(o.arch).id;
      const r = await importCheckpointToFile(resolve(checkpoint), arch, resolve(o.out), {
        dtype: o.dtype,
        overwrite: o.overwrite,
        ...(o.task ? { task: o.task } : {}),
      });
      console.log(`wrote ${r.out} (${arch}, ${o.dtype})`);
      for (const k of r.unused)
        console.log(`unused: ${k} (the reference carries it; the network never reads it)`);
      for (const n of r.notes) console.log(`note: ${n}`);
    });
  models
    .command('info')
    .description('Describe a durn weights file: network, task, dtype, size, hash, provenance and metrics.')
    .argument('<weights>', 'a .safetensors file written by durn')
    .action(async (file: string) => {
      const w = await loadWeights(resolve(file));
      const { readFile } = await import('node:fs/promises');
      const buf = await readFile(resolve(file));
      const header = JSON.parse(buf.toString('utf8', 8, 8 + Number(buf.readBigUInt64LE(0)))) as Record<
        string,
        { dtype?: string }
      >;
      const dtypes = [
        ...new Set(
          Object.entries(header)
            .filter(([k]) => k !== '__metadata__')
            .map(([, v]) => v.dtype),
        ),
      ];
      const net = getNetwork(w.metadata.arch);
      const params = net.graph.params
        .filter((p) => p.trainable)
        .reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
      console.log(`file:        ${resolve(file)}`);
      console.log(`arch:        ${net.id} (${net.title}, ${net.purpose})`);
      console.log(`task:        ${w.metadata.task ?? '(not recorded)'}`);
      console.log(`dtype:       ${dtypes.sort().join(', ')}`);
      console.log(`tensors:     ${w.tensors.size}`);
      console.log(`parameters:  ${params.toLocaleString('en-US')} trainable`);
      console.log(`hash:        ${weightsHash(w.tensors)}`);
      if (w.unused.length > 0) console.log(`unused:      ${w.unused.join(', ')}`);
      console.log(
        `provenance:  ${w.metadata.provenance ? JSON.stringify(w.metadata.provenance, null, 2) : '(none)'}`,
      );
      console.log(
        `metrics:     ${w.metadata.metrics ? JSON.stringify(w.metadata.metrics, null, 2) : '(none)'}`,
      );
    });
}
