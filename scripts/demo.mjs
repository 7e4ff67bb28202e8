#!/usr/bin/env node
// The README's main job: `durn restore` on the demo photos in samples/, each with the task that
// matches its damage, into samples-restored/. Uses whatever weights exist and says plainly which
// tasks have none yet. Plain JavaScript so it runs on any supported Node without a loader.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const durn = join(root, 'bin/durn.js');
const samples = join(root, 'samples');
const out = join(root, 'samples-restored');

const JOBS = [
  { task: 'denoise', files: ['noisy-gray.png', 'noisy-color.png'] },
  { task: 'deblur', files: ['blurred.png'] },
  { task: 'dehaze', files: ['hazy.jpg'] },
  { task: 'derain', files: ['rainy.png'] },
  { task: 'raindrop', files: ['raindrop.png'] },
];
// Each demo photo's undamaged original, to show what restoring gained.
const CLEAN = { 'noisy-gray.png': 'clean-gray.png' };

/** PSNR (dB) of two same-sized 8-bit images over all channels. */
async function psnr(a, b) {
  const { default: sharp } = await import('sharp');
  const [x, y] = await Promise.all([a, b].map((f) => sharp(f).raw().toBuffer()));
  let se = 0;
  for (let i = 0; i < x.length; i++) se += (x[i] - y[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (se / x.length));
}

if (!existsSync(samples)) {
  console.error(`demo: ${samples} is missing (run \`node scripts/make-samples.ts\` to make it)`);
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const restored = [];
const missing = [];
const failed = [];
for (const job of JOBS) {
  const files = job.files.map((f) => join(samples, f)).filter((f) => existsSync(f));
  if (files.length === 0) continue;
  const args = [durn, 'restore', ...files, '--task', job.task, '--out', out, '--overwrite', '--no-ui'];
  console.log(
    `\n$ durn restore ${job.files.map((f) => `samples/${f}`).join(' ')} --task ${job.task} --out samples-restored/ --overwrite`,
  );
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  process.stdout.write(r.stdout);
  if (r.status === 0) {
    restored.push(job.task);
    for (const f of job.files) {
      const clean = join(samples, CLEAN[f] ?? 'clean.png');
      const output = join(out, f);
      if (!existsSync(output)) continue;
      const [before, after] = [await psnr(join(samples, f), clean), await psnr(output, clean)];
      console.log(
        `  ${f}: ${before.toFixed(2)} dB → ${after.toFixed(2)} dB PSNR against the undamaged original`,
      );
    }
  } else if (/No weights for/.test(r.stderr)) {
    missing.push(job.task);
    process.stdout.write(r.stderr.replace(/^durn: /gm, '  '));
  } else {
    failed.push(job.task);
    process.stderr.write(r.stderr);
  }
}

console.log('\n──────── demo summary');
if (restored.length) console.log(`restored with trained weights: ${restored.join(', ')} → ${out}`);
if (missing.length)
  console.log(
    `no trained weights yet for: ${missing.join(', ')} (train them with \`durn train <task> --data <photos>\`, or import the authors' checkpoints with \`durn models import\`)`,
  );
if (failed.length) console.log(`failed: ${failed.join(', ')}`);
process.exit(failed.length ? 1 : 0);
