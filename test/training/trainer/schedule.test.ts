import { describe, expect, it } from 'vitest';
import { learningRate, type ScheduleOptions, timeProgress } from '../../../src/training/schedule.ts';

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

  it('a time budget moves the schedule on: the rest of it is spread over the session’s minutes', () => {
    const o: ScheduleOptions = { ...base, totalSteps: 10_000, schedule: { kind: 'cosine', minFactor: 0 } };
    // A fresh session, half its minutes gone, at step 40 of 10,000: halfway through the schedule.
    expect(timeProgress(0, 10_000, 30_000, 60_000)).toBeCloseTo(0.5, 12);
    expect(learningRate(40, o, timeProgress(0, 10_000, 30_000, 60_000))).toBeCloseTo(0.5e-3, 12);
    // A resumed one (from 60 %) spreads the last 40 % over its own time; past the deadline: the end.
    expect(timeProgress(6_000, 10_000, 30_000, 60_000)).toBeCloseTo(0.8, 12);
    expect(timeProgress(6_000, 10_000, 90_000, 60_000)).toBe(1);
    expect(learningRate(40, o, 1)).toBeCloseTo(0, 12);
    // Steps ahead of the clock win: the floor never moves a run back.
    expect(learningRate(9_000, o, 0.1)).toBe(learningRate(9_000, o));
  });
});
