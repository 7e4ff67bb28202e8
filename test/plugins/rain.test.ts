import { describe, expect, it } from 'vitest';
import { applyRainStreaks, rainLayerMap, rainLayerSchema } from '../../src/plugins/derain/rain-streaks.ts';
import { applyRaindrops, raindropLayout, raindropsSchema } from '../../src/plugins/raindrop/raindrops.ts';
import { createRng } from '../../src/training/rng.ts';
import { flat, meanStd, textured } from '../helpers/degradations.ts';

/** Streak direction in degrees from vertical, from the gradient structure tensor (edges ⟂ streaks). */
function streakAngle(map: Float32Array, h: number, w: number): number {
  let jxx = 0;
  let jyy = 0;
  let jxy = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      // Scharr derivatives: rotation-invariant enough for thin lines, unlike plain differences.
      const m = (dy: number, dx: number) => map[(y + dy) * w + x + dx]!;
      const gx = 3 * (m(-1, 1) - m(-1, -1)) + 10 * (m(0, 1) - m(0, -1)) + 3 * (m(1, 1) - m(1, -1));
      const gy = 3 * (m(1, -1) - m(-1, -1)) + 10 * (m(1, 0) - m(-1, 0)) + 3 * (m(1, 1) - m(-1, 1));
      jxx += gx * gx;
      jyy += gy * gy;
      jxy += gx * gy;
    }
  }
  // Dominant gradient orientation φ (from the x axis); streaks run perpendicular to it.
  const phi = 0.5 * Math.atan2(2 * jxy, jxx - jyy);
  // Streak direction (sin θ, cos θ) ⟂ (cos φ, sin φ) ⇒ θ = −φ (mod 180°).
  let theta = (-phi * 180) / Math.PI;
  if (theta > 90) theta -= 180;
  if (theta < -90) theta += 180;
  return theta;
}

describe('rain streaks', () => {
  for (const angle of [-25, 0, 12, 30]) {
    it(`structure tensor finds the streak angle ${angle}° within 1.5°`, () => {
      const layer = rainLayerSchema.parse({ angle, length: 30, width: 0.8, density: 0.004 });
      const map = rainLayerMap(160, 160, layer, createRng(angle + 100));
      expect(Math.abs(streakAngle(map, 160, 160) - angle)).toBeLessThan(1.5);
    });
  }

  it('density scales the amount of rain; screen blending stays in [0, 1] and only brightens', () => {
    const sparse = rainLayerMap(128, 128, rainLayerSchema.parse({ density: 0.001 }), createRng(1));
    const dense = rainLayerMap(128, 128, rainLayerSchema.parse({ density: 0.008 }), createRng(1));
    const ratio = meanStd(dense).mean / meanStd(sparse).mean;
    expect(ratio).toBeGreaterThan(5);
    expect(ratio).toBeLessThan(11);
    const img = textured(3, 64, 64);
    const layers = [
      rainLayerSchema.parse({ brightness: 0.9, density: 0.02 }),
      rainLayerSchema.parse({ angle: -5 }),
    ];
    const out = applyRainStreaks(img, { layers, blend: 'screen' }, createRng(2));
    for (let i = 0; i < out.data.length; i++) {
      expect(out.data[i]!).toBeLessThanOrEqual(1);
      expect(out.data[i]!).toBeGreaterThanOrEqual(img.data[i]! - 1e-6);
    }
    const add = applyRainStreaks(flat(1, 64, 64, 0.9), { layers, blend: 'additive' }, createRng(2));
    expect(Math.max(...add.data)).toBe(1);
  });
});

describe('raindrops', () => {
  for (const coverage of [0.05, 0.2, 0.4]) {
    it(`covers ${coverage * 100}% of the frame (up to one drop more)`, () => {
      const params = raindropsSchema.parse({ coverage, minRadius: 0.03, maxRadius: 0.07 });
      const layout = raindropLayout(120, 160, params, createRng(coverage * 100));
      const maxDrop = (Math.PI * (0.07 * 120) ** 2 * 1.35 * 1.2 ** 2) / (120 * 160);
      expect(layout.coverage).toBeGreaterThanOrEqual(coverage);
      expect(layout.coverage).toBeLessThanOrEqual(coverage + maxDrop);
      let count = 0;
      for (const a of layout.alpha) if (a >= 0.5) count++;
      expect(count / (120 * 160)).toBeCloseTo(layout.coverage, 10);
    });
  }

  it('changes pixels inside drops, leaves far-away background nearly intact, shows a flipped view', () => {
    const h = 96;
    const w = 96;
    // Top half dark, bottom half bright: a drop's flipped view puts bright above dark.
    const img = flat(1, h, w, 0);
    for (let i = (h / 2) * w; i < h * w; i++) (img.data as Float32Array)[i] = 1;
    const params = raindropsSchema.parse({
      coverage: 0.02,
      minRadius: 0.15,
      maxRadius: 0.15,
      highlight: 0,
      dropBlur: 0.5,
      magnification: 1.5,
    });
    const layout = raindropLayout(h, w, params, createRng(11));
    const out = applyRaindrops(img, params, createRng(11)).data;
    const d = layout.drops[0]!;
    const cx = Math.round(d.cx);
    const cy = Math.round(d.cy);
    const r = Math.floor(0.5 * d.rx);
    if (cy - r >= 0 && cy + r < h && cx >= 0 && cx < w && Math.abs(cy - h / 2) < r) {
      expect(out[(cy - r) * w + cx]!).toBeGreaterThan(out[(cy + r) * w + cx]!);
    }
    let changedOutside = 0;
    let outsideCount = 0;
    for (let i = 0; i < h * w; i++) {
      if (layout.alpha[i] === 0) {
        outsideCount++;
        if (Math.abs(out[i]! - img.data[i]!) > 0.2) changedOutside++;
      }
    }
    expect(changedOutside / outsideCount).toBeLessThan(0.1);
    expect(meanStd(out).std).toBeGreaterThan(0);
  });
});
