/**
 * Procedural sample scenes: natural-looking landscapes durn can ship and restore without any
 * photo from elsewhere (README examples, smoke tests, the bundled sample set). Deterministic per
 * seed and size; pure (no I/O).
 *
 * A scene is a sky gradient with soft clouds and a sun, two fractal mountain ridges with aerial
 * perspective, textured ground with grass-like fine detail, a house with windows, trees, and a sign
 * with rows of glyph-like high-frequency patterns (what text looks like to a restoration network).
 */
import { DurnUserError, expected } from '../../core/errors.ts';
import type { ImageTensor } from '../../models/engines/types.ts';
import { clamp01, makeImage, toGray } from '../../training/image-math.ts';
import { createRng, type Rng, type Seed } from '../../training/rng.ts';

type Rgb = readonly [number, number, number];

/** 2-D value-noise octave sum (fBm) over a random lattice; returns a sampler in ~[0, 1]. */
function fbm2(rng: Rng, octaves: number, baseCell: number): (x: number, y: number) => number {
  const size = 256;
  const table = new Float32Array(size * size);
  for (let i = 0; i < table.length; i++) table[i] = rng.uniform();
  const at = (ix: number, iy: number) => table[(iy & (size - 1)) * size + (ix & (size - 1))]!;
  const smooth = (t: number) => t * t * (3 - 2 * t);
  return (x, y) => {
    let sum = 0;
    let amp = 0.5;
    let norm = 0;
    let cell = baseCell;
    for (let o = 0; o < octaves; o++) {
      const gx = x / cell + o * 17.3;
      const gy = y / cell + o * 31.7;
      const x0 = Math.floor(gx);
      const y0 = Math.floor(gy);
      const sx = smooth(gx - x0);
      const sy = smooth(gy - y0);
      const top = at(x0, y0) + (at(x0 + 1, y0) - at(x0, y0)) * sx;
      const bottom = at(x0, y0 + 1) + (at(x0 + 1, y0 + 1) - at(x0, y0 + 1)) * sx;
      sum += amp * (top + (bottom - top) * sy);
      norm += amp;
      amp *= 0.5;
      cell /= 2;
    }
    return sum / norm;
  };
}

class Canvas {
  readonly data: Float32Array;
  readonly n: number;
  readonly width: number;
  readonly height: number;
  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.n = width * height;
    this.data = new Float32Array(3 * this.n);
  }
  /** Alpha-blends colour into pixel (x, y). */
  blend(x: number, y: number, c: Rgb, a = 1): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || a <= 0) return;
    const i = y * this.width + x;
    for (let k = 0; k < 3; k++) this.data[k * this.n + i] = this.data[k * this.n + i]! * (1 - a) + c[k]! * a;
  }
  /** Anti-aliased filled rectangle in continuous coordinates. */
  rect(x0: number, y0: number, x1: number, y1: number, color: (x: number, y: number) => Rgb): void {
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(this.height, Math.ceil(y1)); y++) {
      const cy = Math.min(y + 1, y1) - Math.max(y, y0);
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(this.width, Math.ceil(x1)); x++) {
        const cx = Math.min(x + 1, x1) - Math.max(x, x0);
        this.blend(x, y, color(x, y), clamp01(cx) * clamp01(cy));
      }
    }
  }
  /** Filled region given by a signed distance (negative inside), with a one-pixel soft edge. */
  shape(
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    sd: (x: number, y: number) => number,
    color: (x: number, y: number) => Rgb,
  ): void {
    for (let y = Math.max(0, Math.floor(y0)); y <= Math.min(this.height - 1, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x <= Math.min(this.width - 1, Math.ceil(x1)); x++) {
        this.blend(x, y, color(x, y), clamp01(0.5 - sd(x + 0.5, y + 0.5)));
      }
    }
  }
}

const mix = (a: Rgb, b: Rgb, t: number): Rgb => [
  a[0] + (b[0] - a[0]) * t,
  a[1] + (b[1] - a[1]) * t,
  a[2] + (b[2] - a[2]) * t,
];
const scale = (a: Rgb, s: number): Rgb => [a[0] * s, a[1] * s, a[2] * s];

export interface SceneOptions {
  readonly width: number;
  readonly height: number;
  readonly seed?: Seed;
}

function checkSize(options: SceneOptions): void {
  for (const key of ['width', 'height'] as const) {
    const v = options[key];
    if (!Number.isInteger(v) || v < 16 || v > 8192) {
      throw new DurnUserError('INVALID_OPTION', expected('an integer from 16 to 8192', `scene ${key}`, v));
    }
  }
}

/** A deterministic RGB landscape (CHW float32 in [0, 1]). */
export function generateScene(options: SceneOptions): ImageTensor {
  checkSize(options);
  const { width: w, height: h } = options;
  const rng = createRng(options.seed ?? 0);
  const s = Math.min(w, h) / 256; // feature scale relative to a 256 px scene
  const cv = new Canvas(w, h);
  const horizon = h * rng.uniform(0.5, 0.62);

  // Sky: deep blue overhead to pale near the horizon, soft clouds, a sun with a glow.
  const clouds = fbm2(rng.fork('clouds'), 5, 60 * s);
  const sun = { x: w * rng.uniform(0.15, 0.85), y: horizon * rng.uniform(0.2, 0.5), r: 10 * s };
  const zenith: Rgb = [0.2 + 0.1 * rng.uniform(), 0.4 + 0.1 * rng.uniform(), 0.78];
  const pale: Rgb = [0.78, 0.85, 0.93];
  for (let y = 0; y < Math.ceil(horizon); y++) {
    const t = (y / horizon) ** 1.4;
    for (let x = 0; x < w; x++) {
      let c = mix(zenith, pale, t);
      const cl = clamp01((clouds(x, y * 2.2) - 0.5) * 3);
      c = mix(c, [0.96, 0.96, 0.97], cl * 0.85);
      const d = Math.hypot(x - sun.x, y - sun.y);
      c = mix(c, [1, 0.97, 0.85], clamp01(sun.r + 0.5 - d) + 0.35 * Math.exp(-d / (6 * sun.r)));
      cv.blend(x, y, c);
    }
  }

  // Mountains: two fractal ridges; the far one paler and bluer (aerial perspective).
  for (const [layer, tint, height, shade] of [
    [0, [0.55, 0.62, 0.75], 0.35, 0.06],
    [1, [0.3, 0.38, 0.33], 0.2, 0.12],
  ] as const) {
    const ridge = fbm2(rng.fork('ridge', layer), 6, 90 * s);
    const rock = fbm2(rng.fork('rock', layer), 5, 12 * s);
    for (let x = 0; x < w; x++) {
      const top = horizon - h * height * (0.3 + ridge(x, layer * 100));
      for (let y = Math.max(0, Math.floor(top)); y < Math.ceil(horizon) + 2; y++) {
        const a = clamp01(y + 1 - top);
        const c = scale(tint, 1 - shade + 2 * shade * rock(x, y));
        cv.blend(x, y, mix(c, pale, (1 - layer) * 0.25 * (1 - (y - top) / (horizon - top + 1))), a);
      }
    }
  }

  // Ground: meadow texture darkening towards the viewer, with fine grass strokes.
  const meadow = fbm2(rng.fork('meadow'), 6, 40 * s);
  const grass = fbm2(rng.fork('grass'), 2, 1.5 * s + 0.5);
  for (let y = Math.floor(horizon); y < h; y++) {
    const depth = (y - horizon) / (h - horizon);
    for (let x = 0; x < w; x++) {
      const m = meadow(x, y * 2);
      const base = mix([0.42, 0.52, 0.25], [0.5, 0.42, 0.28], clamp01((m - 0.45) * 4));
      const fine = 0.75 + 0.35 * grass(x * 3, y * (1 + 2 * depth)) * depth;
      cv.blend(x, y, scale(base, fine * (1.05 - 0.3 * depth)));
    }
  }

  // A house: walls, gable roof, a door and windows (hard edges, flat regions).
  const hw = 70 * s;
  const hx = w * rng.uniform(0.08, 0.45);
  const hy = horizon + (h - horizon) * 0.55;
  const wall: Rgb = [0.85, 0.78 + 0.1 * rng.uniform(), 0.65];
  cv.rect(hx, hy - 0.7 * hw, hx + hw, hy, () => wall);
  const roofTop = hy - 1.15 * hw;
  cv.shape(
    hx - 6 * s,
    roofTop,
    hx + hw + 6 * s,
    hy - 0.7 * hw,
    (x, y) => {
      const cx = hx + hw / 2;
      const slope = (0.45 * hw) / (hw / 2 + 6 * s);
      return Math.max(roofTop - y + slope * Math.abs(x - cx) - 0.0, y - (hy - 0.7 * hw));
    },
    (x, y) => scale([0.62, 0.2, 0.15], 0.85 + 0.15 * (((x + y) >> 1) % 2)),
  );
  cv.rect(hx + 0.42 * hw, hy - 0.38 * hw, hx + 0.58 * hw, hy, () => [0.35, 0.22, 0.12]);
  for (const fx of [0.12, 0.7]) {
    cv.rect(hx + fx * hw, hy - 0.55 * hw, hx + (fx + 0.18) * hw, hy - 0.3 * hw, (x, y) =>
      Math.abs(x - (hx + (fx + 0.09) * hw)) < 0.7 || Math.abs(y - (hy - 0.425 * hw)) < 0.7
        ? [0.9, 0.9, 0.88]
        : [0.25, 0.35, 0.45],
    );
  }

  // Trees: round canopies with leafy texture on trunks.
  const leaves = fbm2(rng.fork('leaves'), 4, 3 * s + 0.5);
  const trees = rng.intBetween(2, 4);
  for (let t = 0; t < trees; t++) {
    const tx = w * rng.uniform(0.5, 0.95);
    const ty = horizon + (h - horizon) * rng.uniform(0.2, 0.7);
    const r = (14 + 10 * rng.uniform()) * s * (0.6 + (ty - horizon) / (h - horizon));
    cv.rect(tx - 0.15 * r, ty - 0.2 * r, tx + 0.15 * r, ty + 0.9 * r, () => [0.33, 0.24, 0.16]);
    cv.shape(
      tx - r,
      ty - 2.2 * r,
      tx + r,
      ty,
      (x, y) => Math.hypot(x - tx, (y - (ty - 1.1 * r)) / 1.1) - r,
      (x, y) => scale([0.2, 0.42, 0.18], 0.6 + 0.7 * leaves(x, y)),
    );
  }

  // A sign with rows of glyphs: 5×7 random bitmaps give text-like high-frequency detail.
  const sx = w * rng.uniform(0.05, 0.3);
  const sy = h - (h - horizon) * 0.35;
  const cell = Math.max(1, Math.round(1.5 * s));
  const cols = 9;
  const rows = 3;
  const sw = cols * 6 * cell + 4 * cell;
  const sh = rows * 9 * cell + 3 * cell;
  cv.rect(sx + sw / 2 - 2 * cell, sy + sh, sx + sw / 2 + 2 * cell, sy + sh + 10 * s, () => [0.4, 0.4, 0.42]);
  cv.rect(sx, sy, sx + sw, sy + sh, () => [0.95, 0.95, 0.9]);
  const glyph = rng.fork('glyphs');
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (glyph.uniform() < 0.15) continue; // word gaps
      for (let b = 0; b < 35; b++) {
        if (glyph.uniform() < 0.55) continue;
        const gx = sx + 2 * cell + (c * 6 + (b % 5)) * cell;
        const gy = sy + 2 * cell + (r * 9 + Math.floor(b / 5)) * cell;
        cv.rect(gx, gy, gx + cell, gy + cell, () => [0.1, 0.12, 0.2]);
      }
    }
  }

  for (let i = 0; i < cv.data.length; i++) cv.data[i] = clamp01(cv.data[i]!);
  return makeImage(3, h, w, cv.data);
}

/** The same scene in grayscale (MATLAB rgb2gray weights). */
export function generateGrayScene(options: SceneOptions): ImageTensor {
  return toGray(generateScene(options));
}
