/**
 * `node scripts/make-samples.ts [--out DIR] [--check]`: writes durn's demo photos (samples/ by
 * default): one procedural scene, clean and degraded for each task by durn's own degradation code
 * with fixed seeds, plus a README listing them. No photo from anywhere else: the samples must be
 * shippable and reproducible. `--check` regenerates into a temporary folder and fails if any file
 * differs from the committed ones (so a change to the scene or degradation code is noticed).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSampleSet, type SampleFile } from '../src/pipeline/samples/sample-set.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Small enough that the set stays under 500 KB and every task restores it in seconds on a CPU.
const OPTIONS = { width: 256, height: 192, seed: 2019 } as const;

const TASK_OF: Record<SampleFile['task'], string> = {
  clean: '(reference)',
  'denoise-gray': 'denoise (grey network, durn-p)',
  'denoise-rgb': 'denoise (colour network, durn-p-nonorm)',
  deblur: 'deblur',
  dehaze: 'dehaze',
  derain: 'derain',
  raindrop: 'raindrop',
};

function readme(files: readonly SampleFile[]): string {
  // Padded columns, as the repository's formatter (biome) writes Markdown tables.
  const cells = [
    ['file', 'task', 'degradation'],
    ...files.map((f) => [`\`${f.file}\``, TASK_OF[f.task], f.description]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...cells.map((r) => r[i]!.length)));
  const row = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const rows = [row(cells[0]!), row(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(row)];
  return [
    '# Demo photos',
    '',
    `Written by \`node scripts/make-samples.ts\` (${OPTIONS.width}×${OPTIONS.height}, seed ${OPTIONS.seed}):`,
    "one procedural scene (src/pipeline/samples/scenes.ts) degraded by durn's own training",
    'degradations, so they are durn’s to ship and byte-for-byte reproducible',
    '(`node scripts/make-samples.ts --check`). `npm run demo` restores each with its task.',
    '',
    ...rows,
    '',
  ].join('\n');
}

async function write(outDir: string): Promise<SampleFile[]> {
  const files = await makeSampleSet(outDir, OPTIONS);
  await writeFile(join(outDir, 'README.md'), readme(files));
  return files;
}

async function check(outDir: string): Promise<boolean> {
  const fresh = await mkdtemp(join(tmpdir(), 'durn-samples-'));
  try {
    await write(fresh);
    const names = (await readdir(fresh)).sort();
    const committed = (await readdir(outDir).catch(() => [] as string[])).sort();
    let same = JSON.stringify(names) === JSON.stringify(committed);
    if (!same) console.error(`files differ: expected ${names.join(', ')}; found ${committed.join(', ')}`);
    for (const name of names) {
      const a = await readFile(join(fresh, name));
      const b = await readFile(join(outDir, name)).catch(() => null);
      if (!b || !a.equals(b)) {
        console.error(`${name}: differs from a fresh build`);
        same = false;
      }
    }
    return same;
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const at = args.indexOf('--out');
const outDir = at >= 0 && args[at + 1] ? args[at + 1]! : join(ROOT, 'samples');
if (args.includes('--check')) {
  const ok = await check(outDir);
  console.log(
    ok ? `${relative(process.cwd(), outDir) || '.'}: up to date` : 'samples are stale: rerun make-samples',
  );
  process.exitCode = ok ? 0 : 1;
} else {
  const files = await write(outDir);
  let bytes = 0;
  for (const f of [...files.map((f) => f.file), 'README.md'])
    bytes += (await readFile(join(outDir, f))).length;
  console.log(`wrote ${files.length} photos and README.md to ${outDir} (${(bytes / 1024).toFixed(0)} KB)`);
}
