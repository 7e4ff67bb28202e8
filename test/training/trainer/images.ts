/** Test photos: small procedural scenes (gradients, shapes, stripes) rendered with sharp. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

/** Writes `count` distinct w×h PNG scenes into `dir`; returns their names. */
export async function writeScenes(
  dir: string,
  count: number,
  w = 96,
  h = 80,
  prefix = 'scene',
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const hue = (i * 67) % 360;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
      <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
        <stop offset="0" stop-color="hsl(${hue},70%,25%)"/><stop offset="1" stop-color="hsl(${(hue + 120) % 360},60%,80%)"/>
      </linearGradient></defs>
      <rect width="${w}" height="${h}" fill="url(#g)"/>
      <circle cx="${20 + ((i * 13) % (w - 40))}" cy="${h / 2}" r="${12 + (i % 3) * 4}" fill="hsl(${(hue + 200) % 360},80%,60%)"/>
      <rect x="${w / 2}" y="${8 + (i % 4) * 5}" width="${w / 3}" height="${h / 4}" fill="hsl(${(hue + 60) % 360},50%,${30 + i * 7}%)"/>
      ${Array.from({ length: 5 }, (_, k) => `<line x1="${k * 9 + i}" y1="${h - 20}" x2="${k * 9 + i + 6}" y2="${h}" stroke="white" stroke-width="2"/>`).join('')}
    </svg>`;
    const name = `${prefix}-${String(i).padStart(2, '0')}.png`;
    await sharp(Buffer.from(svg)).png().toFile(join(dir, name));
    names.push(name);
  }
  return names;
}
