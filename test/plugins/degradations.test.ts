import { describe, expect, it } from 'vitest';
import { DurnUserError } from '../../src/core/errors.ts';
import { degradationTable } from '../../src/plugins/training.ts';
import { degradationFor, degrade, parseParams } from '../../src/training/degradations/index.ts';
import { createRng } from '../../src/training/rng.ts';
import { equalData, textured } from '../helpers/degradations.ts';

// The plugins' recipes, registered with the degradation registry when the plugins load.
const DEGRADATIONS = degradationTable();
const TASKS = Object.keys(DEGRADATIONS);

describe('degradation registry', () => {
  it('covers the six tasks', () => {
    expect(TASKS.sort()).toEqual(['deblur', 'dehaze', 'denoise-gray', 'denoise-rgb', 'derain', 'raindrop']);
  });

  for (const task of TASKS) {
    it(`${task}: sampled parameters validate, same seed same output, other seed differs`, () => {
      const { degradation, channels } = DEGRADATIONS[task]!;
      const clean = textured(channels, 48, 40, 3);
      const params = degradation.sample(createRng(`${task}-p`));
      expect(parseParams(degradation, params)).toEqual(params);
      const a = degradation.apply(clean, params, createRng(5));
      const b = degradation.apply(clean, params, createRng(5));
      const c = degradation.apply(clean, params, createRng(6));
      expect([a.channels, a.height, a.width]).toEqual([channels, 48, 40]);
      expect(a.data.every(Number.isFinite)).toBe(true);
      expect(equalData(a, b)).toBe(true);
      expect(equalData(a, c)).toBe(false);
      expect(equalData(a, clean)).toBe(false);
      // Defaults parse from an empty object, and 1-channel input works too.
      const defaults = parseParams(degradation, {});
      const gray = degradation.apply(textured(1, 32, 32), defaults, createRng(1));
      expect(gray.channels).toBe(1);
      const d = degrade(task, clean, createRng(9));
      expect(equalData(d.image, degrade(task, clean, createRng(9)).image)).toBe(true);
    });
  }

  it('reports invalid parameters and unknown tasks as user errors', () => {
    expect(() => parseParams(DEGRADATIONS['denoise-gray']!.degradation, { sigma: 300 })).toThrow(
      /gaussian-noise\.sigma but received 300/,
    );
    expect(() => parseParams(DEGRADATIONS.raindrop!.degradation, { minRadius: 0.2, maxRadius: 0.1 })).toThrow(
      DurnUserError,
    );
    expect(() => degradationFor('sharpen')).toThrow(DurnUserError);
  });
});
