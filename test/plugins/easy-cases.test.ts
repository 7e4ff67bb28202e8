import { describe, expect, it } from 'vitest';
import { motionBlur } from '../../src/plugins/deblur/motion-blur.ts';
import { haze } from '../../src/plugins/dehaze/haze.ts';
import { cameraNoise } from '../../src/plugins/denoise/camera-noise.ts';
import { cameraPipelineNoise } from '../../src/plugins/denoise/camera-pipeline-noise.ts';
import { colourNoiseMix } from '../../src/plugins/denoise/colour-noise-mix.ts';
import { gaussianNoise } from '../../src/plugins/denoise/gaussian-noise.ts';
import { rainStreaks } from '../../src/plugins/derain/rain-streaks.ts';
import { raindropLayout, raindrops, raindropsSchema } from '../../src/plugins/raindrop/raindrops.ts';
import { degradationTable } from '../../src/plugins/training.ts';
import { type BatchSpec, degradationParams, synthesize } from '../../src/training/data/batches.ts';
import { type Degradation, registerDegradation } from '../../src/training/degradations/index.ts';
import { createRng } from '../../src/training/rng.ts';
import { equalData, textured } from '../helpers/degradations.ts';

for (const [key, { degradation }] of Object.entries(degradationTable()))
  registerDegradation(key, degradation);

// The undamaged end of every degradation's range: a plugin trained on these learns to leave
// clean photos and regions alone, so they must give back the clean image bit for bit.
const ZERO: [Degradation<unknown>, Record<string, unknown>][] = [
  [gaussianNoise as Degradation<unknown>, { sigma: 0 }],
  [cameraNoise as Degradation<unknown>, { shot: 0, read: 0 }],
  [cameraPipelineNoise as Degradation<unknown>, { shot: 0, read: 0, jpeg: null }],
  [colourNoiseMix as Degradation<unknown>, { kind: 'clean' }],
  [motionBlur as Degradation<unknown>, { length: 0, noiseSigma: 0 }],
  [haze as Degradation<unknown>, { beta: 0 }],
  [rainStreaks as Degradation<unknown>, { densityScale: 0 }],
  [raindrops as Degradation<unknown>, { coverage: 0 }],
];

function spec(degradation: string, degradationOptions: Record<string, unknown>): BatchSpec {
  return { seed: 1, batch: 1, patch: 32, margin: 0, channels: 3, degradation, degradationOptions };
}

describe('easy cases', () => {
  for (const [d, zero] of ZERO) {
    it(`${d.name}: zero damage returns the clean image exactly`, () => {
      const clean = textured(3, 40, 48, 7);
      const params = d.schema.parse({ ...(d.sample(createRng(d.name)) as object), ...zero });
      const out = d.apply(clean, params, createRng(3));
      expect(equalData(out, clean)).toBe(true);
      expect(out.data).not.toBe(clean.data);
    });
  }

  it('mild settings damage less than the training ranges', () => {
    const clean = textured(3, 64, 64, 2);
    const err = (d: Degradation<unknown>, o: Record<string, unknown>) => {
      const out = d.apply(
        clean,
        d.schema.parse({ ...(d.sample(createRng(4)) as object), ...o }),
        createRng(5),
      );
      let s = 0;
      for (let i = 0; i < out.data.length; i++) s += (out.data[i]! - clean.data[i]!) ** 2;
      return s / out.data.length;
    };
    expect(err(haze as Degradation<unknown>, { beta: 0.05 })).toBeLessThan(
      0.05 * err(haze as Degradation<unknown>, { beta: 1.5 }),
    );
    expect(err(rainStreaks as Degradation<unknown>, { densityScale: 0.05 })).toBeLessThan(
      0.2 * err(rainStreaks as Degradation<unknown>, {}),
    );
    expect(err(motionBlur as Degradation<unknown>, { length: 2 })).toBeLessThan(
      0.5 * err(motionBlur as Degradation<unknown>, { length: 25 }),
    );
  });

  it('options draw { min, max } uniformly and apply `easy` options in their share of samples', () => {
    const sigmas: number[] = [];
    let clean = 0;
    for (let i = 0; i < 400; i++) {
      const p = degradationParams(
        spec('denoise-gray', { sigma: { min: 10, max: 20 }, easy: { share: 0.25, options: { sigma: 0 } } }),
        createRng(i),
      ) as { sigma: number };
      if (p.sigma === 0) clean++;
      else sigmas.push(p.sigma);
    }
    expect(Math.min(...sigmas)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...sigmas)).toBeLessThanOrEqual(20);
    expect(clean / 400).toBeGreaterThan(0.18);
    expect(clean / 400).toBeLessThan(0.32);
    // share 0 and 1 are never and always.
    const p0 = degradationParams(spec('dehaze', { easy: { share: 0, options: { beta: 0 } } }), createRng(1));
    const p1 = degradationParams(spec('dehaze', { easy: { share: 1, options: { beta: 0 } } }), createRng(1));
    expect((p0 as { beta: number }).beta).toBeGreaterThan(0);
    expect((p1 as { beta: number }).beta).toBe(0);
  });

  it("raindrops: referenceSide 'photo' keeps drops at their size on the whole photo, not the patch", () => {
    const clean = textured(3, 64, 64, 5);
    const photo = spec('raindrop', { referenceSide: 'photo', minRadius: 0.05, maxRadius: 0.05 });
    const p = degradationParams(photo, createRng(2), 321) as { referenceSide: number };
    expect(p.referenceSide).toBe(321);
    const big = raindropLayout(64, 64, raindropsSchema.parse({ ...p, coverage: 0.2 }), createRng(3));
    const small = raindropLayout(
      64,
      64,
      raindropsSchema.parse({ ...p, coverage: 0.2, referenceSide: null }),
      createRng(3),
    );
    expect(big.drops[0]!.rx).toBeCloseTo(0.05 * 321, 6);
    expect(small.drops[0]!.rx).toBeCloseTo(0.05 * 64, 6);
    // synthesize on a patch passes the photo's side through.
    const s = synthesize(clean, photo, createRng(4), 321);
    expect(equalData(s.input, clean)).toBe(false);
  });

  it('raindrops: defocus softens the drops, rim brightens their edges', () => {
    const clean = textured(3, 96, 96, 8);
    const base = raindropsSchema.parse({ coverage: 0.3, highlight: 0 });
    const sharp = raindrops.apply(clean, base, createRng(6));
    const soft = raindrops.apply(clean, { ...base, defocus: 2 }, createRng(6));
    const rim = raindrops.apply(clean, { ...base, rim: 0.5 }, createRng(6));
    // High-frequency energy of the damage (horizontal differences of output − clean).
    const hf = (out: Float32Array) => {
      let e = 0;
      for (let i = 1; i < out.length; i++) {
        if (i % 96 === 0) continue;
        e += (out[i]! - clean.data[i]! - (out[i - 1]! - clean.data[i - 1]!)) ** 2;
      }
      return e;
    };
    expect(hf(soft.data as Float32Array)).toBeLessThan(0.6 * hf(sharp.data as Float32Array));
    let brighter = 0;
    let darker = 0;
    for (let i = 0; i < rim.data.length; i++) {
      if (rim.data[i]! > sharp.data[i]! + 1e-6) brighter++;
      if (rim.data[i]! < sharp.data[i]! - 1e-6) darker++;
    }
    expect(brighter).toBeGreaterThan(500);
    expect(darker).toBe(0);
  });
});
