import { describe, expect, it } from 'vitest';
import { learningRate, type ScheduleOptions } from '../../../src/training/schedule.ts';

const base = { baseLr: 1e-3, totalSteps: 3000, warmupSteps: 0 };

describe('learningRate', () => {
  it('step schedule multiplies by gamma at each milestone fraction (authors’ DuRN-P schedule)', () => {
    const o: ScheduleOptions = {
      ...base,
      schedule: { kind: 'step', milestones: [1 / 6, 1 / 3, 1 / 2, 5 / 6], gamma: 0.1 },
    };
    expect(learningRate(0, o)).toBeCloseTo(1e-3, 12);
    expect(learningRate(499, o)).toBeCloseTo(1e-3, 12);
    expect(learningRate(500, o)).toBeCloseTo(1e-4, 12);
    expect(learningRate(1000, o)).toBeCloseTo(1e-5, 12);
    expect(learningRate(1500, o)).toBeCloseTo(1e-6, 12);
    expect(learningRate(2499, o)).toBeCloseTo(1e-6, 12);
    expect(learningRate(2500, o)).toBeCloseTo(1e-7, 12);
  });

  it('cosine anneals from the base rate to the floor through the midpoint', () => {
    const o: ScheduleOptions = { ...base, totalSteps: 100, schedule: { kind: 'cosine', minFactor: 0.1 } };
    expect(learningRate(0, o)).toBeCloseTo(1e-3, 12);
    expect(learningRate(50, o)).toBeCloseTo(1e-3 * (0.1 + 0.9 * 0.5), 12);
    expect(learningRate(100, o)).toBeCloseTo(1e-4, 12);
    for (let s = 1; s <= 100; s++) expect(learningRate(s, o)).toBeLessThanOrEqual(learningRate(s - 1, o));
  });

  it('warm-up ramps linearly, then hands over to the schedule', () => {
    const o: ScheduleOptions = {
      ...base,
      totalSteps: 100,
      warmupSteps: 10,
      schedule: { kind: 'cosine', minFactor: 0 },
    };
    expect(learningRate(0, o)).toBeCloseTo(1e-4 * Math.cos(0), 12);
    expect(learningRate(4, o) / learningRate(9, o)).toBeLessThan(0.55);
    const noWarm = { ...o, warmupSteps: 0 };
    expect(learningRate(10, o)).toBe(learningRate(10, noWarm));
  });
});
