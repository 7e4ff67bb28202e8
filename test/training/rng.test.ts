import { describe, expect, it } from 'vitest';
import { DurnUserError } from '../../src/core/errors.ts';
import { createRng, Rng } from '../../src/training/rng.ts';

function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return { mean, variance };
}

describe('Rng', () => {
  it('implements xoshiro128** (reference outputs for state 1, 2, 3, 4)', () => {
    const rng = Rng.fromState({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4], spare: null });
    // From the authors' C code: rotl(2·5, 7)·9 = 11520, then 0, 5927040, 70819200.
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([
      11520, 0, 5927040, 70819200,
    ]);
  });

  it('is deterministic per seed, and different seeds give different streams', () => {
    const a = createRng('exp-1');
    const b = createRng('exp-1');
    const c = createRng('exp-2');
    const d = createRng(2 ** 32 + 1);
    const e = createRng(1);
    const take = (r: Rng) => Array.from({ length: 8 }, () => r.nextUint32());
    const sa = take(a);
    expect(take(b)).toEqual(sa);
    expect(take(c)).not.toEqual(sa);
    expect(take(d)).not.toEqual(take(e));
  });

  it('resumes the exact stream from state(), including the cached normal deviate', () => {
    const rng = createRng(7);
    rng.normal();
    const saved = JSON.parse(JSON.stringify(rng.state()));
    const expected = [rng.normal(), rng.uniform(), rng.poisson(40), rng.int(10)];
    const resumed = Rng.fromState(saved);
    expect([resumed.normal(), resumed.uniform(), resumed.poisson(40), resumed.int(10)]).toEqual(expected);
    expect(() => Rng.fromState({ algorithm: 'xoshiro128**', s: [0, 0, 0, 0], spare: null })).toThrow(
      DurnUserError,
    );
    expect(() => Rng.fromState({ nope: 1 } as never)).toThrow(DurnUserError);
  });

  it('uniform is in [0, 1) with the right mean and variance; int is unbiased', () => {
    const rng = createRng(1);
    const xs = Array.from({ length: 100_000 }, () => rng.uniform());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const m = moments(xs);
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(() => rng.int(0)).toThrow(DurnUserError);
  });

  it('normal has mean 0, variance 1 and Gaussian tails', () => {
    const rng = createRng(2);
    const xs = Array.from({ length: 200_000 }, () => rng.normal());
    const m = moments(xs);
    expect(Math.abs(m.mean)).toBeLessThan(0.01);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.01);
    const beyond2 = xs.filter((x) => Math.abs(x) > 2).length / xs.length;
    expect(beyond2).toBeCloseTo(0.0455, 2);
  });

  it('poisson has mean = variance = λ for small and large λ, and the right P(0)', () => {
    const rng = createRng(3);
    for (const lambda of [0.5, 4, 9.5, 10, 37, 1000, 1e6]) {
      const xs = Array.from({ length: 40_000 }, () => rng.poisson(lambda));
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
      const m = moments(xs);
      expect(Math.abs(m.mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / xs.length));
      expect(Math.abs(m.variance / lambda - 1)).toBeLessThan(0.04);
    }
    // Exact probability mass for PTRS at λ = 12: P(12) = e^-12 12^12 / 12!.
    const xs = Array.from({ length: 100_000 }, () => rng.poisson(12));
    const p12 = xs.filter((x) => x === 12).length / xs.length;
    expect(p12).toBeCloseTo(0.114367, 2);
    expect(rng.poisson(0)).toBe(0);
    expect(() => rng.poisson(-1)).toThrow(DurnUserError);
  });

  it('fork is keyed and leaves the parent alone; split gives non-overlapping streams', () => {
    const rng = createRng('parent');
    const before = rng.state();
    const f1 = rng.fork('epoch', 3);
    const f2 = rng.fork('epoch', 3);
    const f3 = rng.fork('epoch', 4);
    expect(rng.state()).toEqual(before);
    expect(f1.nextUint32()).toBe(f2.nextUint32());
    expect(f1.uniform()).not.toBe(f3.uniform());
    const child = rng.split();
    const childStream = Array.from({ length: 4 }, () => child.nextUint32());
    const parentStream = Array.from({ length: 4 }, () => rng.nextUint32());
    expect(childStream).toEqual(
      Array.from(
        { length: 4 },
        (() => {
          const r = Rng.fromState(before);
          return () => r.nextUint32();
        })(),
      ),
    );
    expect(parentStream).not.toEqual(childStream);
  });
});
