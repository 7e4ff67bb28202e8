/**
 * Raindrops on the lens or a window in front of it (the RainDrop data set of Qian et al. 2018 was
 * shot through glass sprayed with water). Each drop is a soft-edged, slightly irregular ellipse
 * (taller than wide, as gravity makes them) acting as a tiny fisheye lens: it shows a minified,
 * point-reflected (flipped) and defocused view of the scene around it, darkened towards its rim,
 * with a specular highlight. The background near the drops is slightly defocused too, since the
 * camera focuses past the glass. Drops are added until the requested fraction of the frame is
 * covered (alpha ≥ 0.5), so coverage is a direct parameter; coverage 0 returns the clean image.
 *
 * Real drops (Qian et al. 2018, shot through sprayed glass a few cm before a lens focused far away)
 * are out of focus themselves: soft outlines, a bright rim where the curved edge catches the sky.
 * `defocus` blurs the drop layer (colour and coverage together), `rim` adds the bright edge.
 * Sizes are fractions of `referenceSide` when given: a training patch then carries drops of the
 * size they have on a whole photo, not drops shrunk to the patch.
 */
import { z } from 'zod';
import type { ImageTensor } from '../../models/engines/types.ts';
import type { Degradation } from '../../training/degradations/types.ts';
import {
  checkImage,
  clamp01,
  convolveSeparable,
  gaussianBlur,
  gaussianKernel1d,
  makeImage,
  reflectIndex,
} from '../../training/image-math.ts';
import type { Rng } from '../../training/rng.ts';

export const raindropsSchema = z
  .object({
    /** Fraction of the frame covered by drops. Default 0.15; training 0.05–0.35. */
    coverage: z.number().min(0).max(0.8).default(0.15),
    /** Drop radius range as fractions of the shorter side. Default 0.03–0.08; training 0.02–0.1. */
    minRadius: z.number().min(0.005).max(0.3).default(0.03),
    maxRadius: z.number().min(0.005).max(0.3).default(0.08),
    /** How much wider a field a drop shows than its own size (lens minification). Default 2.5. */
    magnification: z.number().min(1).max(8).default(2.5),
    /** Defocus of the view inside drops, σ in px. Default 2; training 1–4. */
    dropBlur: z.number().min(0).max(10).default(2),
    /** Defocus of the background around drops, σ in px. Default 1; training 0.5–1.5. */
    backgroundBlur: z.number().min(0).max(5).default(1),
    /** Width of the soft edge as a fraction of the radius. Default 0.2. */
    edgeSoftness: z.number().min(0.02).max(0.8).default(0.2),
    /** Peak intensity of the specular highlight. Default 0.4. */
    highlight: z.number().min(0).max(1).default(0.4),
    /** Defocus of the whole drop layer (outline included), σ in px. Default 0; recipes 0–2. */
    defocus: z.number().min(0).max(10).optional(),
    /** Brightness added along the drop's edge. Default 0; recipes 0–0.3. */
    rim: z.number().min(0).max(1).optional(),
    /**
     * Shorter side in px that the radius fractions refer to; null: the image's own. Training
     * patches set the photo's side (321 for BSDS500) so drops keep their size on a crop.
     */
    referenceSide: z.number().positive().nullable().optional(),
  })
  .refine((p) => p.minRadius <= p.maxRadius, { message: 'minRadius ≤ maxRadius', path: ['minRadius'] });
export type RaindropsParams = z.output<typeof raindropsSchema>;

export interface Drop {
  readonly cx: number;
  readonly cy: number;
  readonly rx: number;
  readonly ry: number;
  /** Shape wobble: r(φ) = 1 + e2·cos(2φ + p2) + e3·cos(3φ + p3). */
  readonly e2: number;
  readonly p2: number;
  readonly e3: number;
  readonly p3: number;
}

export interface RaindropLayout {
  readonly drops: readonly Drop[];
  /** Union alpha (max over drops), height×width. */
  readonly alpha: Float32Array;
  /** Fraction of pixels with alpha ≥ 0.5. */
  readonly coverage: number;
}

const MAX_DROPS = 5000;

/** Normalised radius ρ (1 on the rim) of pixel (x, y) in a drop. */
function rho(d: Drop, x: number, y: number): number {
  const dx = (x - d.cx) / d.rx;
  const dy = (y - d.cy) / d.ry;
  const phi = Math.atan2(dy, dx);
  return Math.hypot(dx, dy) / (1 + d.e2 * Math.cos(2 * phi + d.p2) + d.e3 * Math.cos(3 * phi + d.p3));
}

function edgeAlpha(r: number, softness: number): number {
  if (r >= 1) return 0;
  if (r <= 1 - softness) return 1;
  const t = (1 - r) / softness;
  return t * t * (3 - 2 * t);
}

function bounds(d: Drop, height: number, width: number) {
  // Wobble is at most 0.1 + 0.06, so 1.2× the radii bounds the shape.
  return {
    x0: Math.max(0, Math.floor(d.cx - 1.2 * d.rx)),
    x1: Math.min(width - 1, Math.ceil(d.cx + 1.2 * d.rx)),
    y0: Math.max(0, Math.floor(d.cy - 1.2 * d.ry)),
    y1: Math.min(height - 1, Math.ceil(d.cy + 1.2 * d.ry)),
  };
}

/** Places drops until the requested coverage is reached. */
export function raindropLayout(
  height: number,
  width: number,
  params: RaindropsParams,
  rng: Rng,
): RaindropLayout {
  const alpha = new Float32Array(height * width);
  const target = params.coverage * height * width;
  const side = params.referenceSide ?? Math.min(height, width);
  const drops: Drop[] = [];
  let covered = 0;
  while (covered < target && drops.length < MAX_DROPS) {
    const r = side * rng.uniform(params.minRadius, params.maxRadius);
    const d: Drop = {
      cx: rng.uniform(-0.5 * r, width + 0.5 * r),
      cy: rng.uniform(-0.5 * r, height + 0.5 * r),
      rx: Math.max(1, r),
      ry: Math.max(1, r * rng.uniform(1, 1.35)),
      e2: rng.uniform(0, 0.1),
      p2: rng.uniform(0, 2 * Math.PI),
      e3: rng.uniform(0, 0.06),
      p3: rng.uniform(0, 2 * Math.PI),
    };
    drops.push(d);
    const b = bounds(d, height, width);
    for (let y = b.y0; y <= b.y1; y++) {
      for (let x = b.x0; x <= b.x1; x++) {
        const a = edgeAlpha(rho(d, x, y), params.edgeSoftness);
        const i = y * width + x;
        if (a > alpha[i]!) {
          if (alpha[i]! < 0.5 && a >= 0.5) covered++;
          alpha[i] = a;
        }
      }
    }
  }
  return { drops, alpha, coverage: covered / (height * width) };
}

function bilinear(src: Float32Array, height: number, width: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const xa = reflectIndex(x0, width);
  const xb = reflectIndex(x0 + 1, width);
  const ya = reflectIndex(y0, height) * width;
  const yb = reflectIndex(y0 + 1, height) * width;
  const top = src[ya + xa]! + (src[ya + xb]! - src[ya + xa]!) * fx;
  const bottom = src[yb + xa]! + (src[yb + xb]! - src[yb + xa]!) * fx;
  return top + (bottom - top) * fy;
}

export function applyRaindrops(image: ImageTensor, params: RaindropsParams, rng: Rng): ImageTensor {
  checkImage(image, 'raindrops input');
  const { channels, height, width } = image;
  const n = height * width;
  const layout = raindropLayout(height, width, params, rng);
  if (layout.drops.length === 0) return makeImage(channels, height, width, Float32Array.from(image.data));
  const inside = gaussianBlur(image, params.dropBlur).data;
  const soft = gaussianBlur(image, params.backgroundBlur).data;
  // Defocus fades in near drops: the union mask widened by a blur about one mean radius wide.
  const side = params.referenceSide ?? Math.min(height, width);
  const meanR = 0.5 * (params.minRadius + params.maxRadius) * side;
  const near = convolveSeparable(layout.alpha, height, width, gaussianKernel1d(Math.max(1, 0.5 * meanR)));
  // The drops as a premultiplied layer (colour·alpha) over coverage `cover`, composited in order.
  const layer = new Float32Array(image.data.length);
  const cover = new Float32Array(n);
  for (const d of layout.drops) {
    const b = bounds(d, height, width);
    // Highlight up-left of centre, where a light from above reflects off the curved surface.
    const hx = d.cx - 0.35 * d.rx;
    const hy = d.cy - 0.4 * d.ry;
    const hs = 0.18 * Math.min(d.rx, d.ry);
    for (let y = b.y0; y <= b.y1; y++) {
      for (let x = b.x0; x <= b.x1; x++) {
        const r = rho(d, x, y);
        const a = edgeAlpha(r, params.edgeSoftness);
        if (a <= 0) continue;
        // Point reflection through the centre, minified: the drop images a wider, flipped field.
        const sx = d.cx - params.magnification * (x - d.cx);
        const sy = d.cy - params.magnification * (y - d.cy);
        const shade = 1 - 0.35 * r ** 4;
        const spec = params.highlight * Math.exp(-((x - hx) ** 2 + (y - hy) ** 2) / (2 * hs * hs));
        const rim = (params.rim ?? 0) * Math.exp(-(((1 - r) / 0.12) ** 2));
        const i = y * width + x;
        cover[i] = cover[i]! * (1 - a) + a;
        for (let c = 0; c < channels; c++) {
          const view = bilinear(inside.subarray(c * n, (c + 1) * n), height, width, sx, sy);
          const drop = clamp01(view * shade + spec + rim);
          layer[c * n + i] = layer[c * n + i]! * (1 - a) + drop * a;
        }
      }
    }
  }
  const blurLayer = (v: Float32Array) =>
    params.defocus ? convolveSeparable(v, height, width, gaussianKernel1d(params.defocus)) : v;
  const alpha = blurLayer(cover);
  const out = new Float32Array(image.data.length);
  for (let c = 0; c < channels; c++) {
    const colour = blurLayer(layer.subarray(c * n, (c + 1) * n));
    for (let i = 0; i < n; i++) {
      const k = Math.min(1, 2 * near[i]!);
      const bg = image.data[c * n + i]! * (1 - k) + soft[c * n + i]! * k;
      out[c * n + i] = bg * (1 - alpha[i]!) + colour[i]!;
    }
  }
  return makeImage(channels, height, width, out);
}

export function sampleRaindrops(rng: Rng): RaindropsParams {
  const minRadius = rng.uniform(0.02, 0.06);
  return {
    coverage: rng.uniform(0.05, 0.35),
    minRadius,
    maxRadius: rng.uniform(minRadius, 0.1),
    magnification: rng.uniform(1.5, 4),
    dropBlur: rng.uniform(1, 4),
    backgroundBlur: rng.uniform(0.5, 1.5),
    edgeSoftness: rng.uniform(0.1, 0.3),
    highlight: rng.uniform(0.15, 0.6),
    // defocus, rim and referenceSide are not drawn here, so the eval protocol's seeded drops stay
    // as they were; training recipes draw them (see recipes/raindrop.json).
  };
}

export const raindrops: Degradation<RaindropsParams> = {
  name: 'raindrops',
  summary: 'refracting, defocused raindrops on the lens with highlights, by coverage',
  channels: [1, 3],
  schema: raindropsSchema,
  sample: sampleRaindrops,
  apply: applyRaindrops,
};
