/** Shared bits of the watch tests: tiny grey photos, polling with a deadline, listing files. */
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import sharp from 'sharp';

/** A small grey PNG whose content differs per seed (distinct seeds give distinct content hashes). */
export async function greyPng(size: number, seed: number): Promise<Buffer> {
  const px = Buffer.alloc(size * size);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7 + seed * 13 + ((i / size) | 0) * (3 + (seed % 5))) % 251;
  return sharp(px, { raw: { width: size, height: size, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

export async function writeGreyPng(path: string, seed: number, size = 16): Promise<Buffer> {
  const buf = await greyPng(size, seed);
  await writeFile(path, buf);
  return buf;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Polls `check` until it returns true; fails with `what` once `timeoutMs` has passed. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 90_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every file under `dir`, relative, sorted (dot-files included). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}
