/**
 * Seeded, splittable, serialisable PRNG for the trainer and the synthetic degradations.
 *
 * The core is xoshiro128** (Blackman & Vigna 2018): 128-bit state, 32-bit outputs, fast with
 * Math.imul and good enough statistically for Monte-Carlo data synthesis. Seeds (numbers or
 * strings) are expanded into the state with splitmix32 so that nearby seeds give unrelated
 * streams. `state()`/`fromState()` capture everything, including the cached Box–Muller deviate,
 * so a trainer checkpoint resumes the exact stream.
 */
import { DurnUserError, expected } from '../core/errors.ts';

/** Everything needed to resume a stream exactly; plain JSON. */
export interface RngState {
  readonly algorithm: 'xoshiro128**';
  readonly s: readonly [number, number, number, number];
  /** Second Box–Muller deviate not yet handed out, or null. */
  readonly spare: number | null;
}

export type Seed = number | string;

const TWO_POW_32 = 4294967296;

/** FNV-1a over UTF-16 code units; only used to turn string seeds and fork keys into 32 bits. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function seedWord(seed: Seed): number {
  if (typeof seed === 'string') return hashString(seed);
  if (!Number.isFinite(seed))
    throw new DurnUserError('INVALID_OPTION', expected('a finite number or a string', 'seed', seed));
  // Keep both halves of large integer seeds so e.g. 1 and 2**32 + 1 differ.
  const hi = Math.floor(seed / TWO_POW_32);
  return (seed >>> 0) ^ Math.imul(hi >>> 0, 0x9e3779b1);
}

/** splitmix32 step: returns [next state, output]. */
function splitmix32(x: number): [number, number] {
  const next = (x + 0x9e3779b9) >>> 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

function expandSeed(word: number): [number, number, number, number] {
  const out: number[] = [];
  let x = word >>> 0;
  for (let i = 0; i < 4; i++) {
    const [next, value] = splitmix32(x);
    x = next;
    out.push(value);
  }
  // The all-zero state is the one fixed point of xoshiro; splitmix cannot produce it, but be sure.
  if (!out.some((v) => v !== 0)) out[0] = 1;
  return out as [number, number, number, number];
}

// log(k!) for small k, exact enough; larger k use Stirling's series.
const LOG_FACTORIAL_TABLE = (() => {
  const t = new Float64Array(10);
  for (let k = 1; k < 10; k++) t[k] = t[k - 1]! + Math.log(k);
  return t;
})();

function logFactorial(k: number): number {
  if (k < 10) return LOG_FACTORIAL_TABLE[k]!;
  const x = k + 1;
  const inv = 1 / x;
  const inv2 = inv * inv;
  return (
    (x - 0.5) * Math.log(x) -
    x +
    0.5 * Math.log(2 * Math.PI) +
    inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260))
  );
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: Seed = 0) {
    [this.s0, this.s1, this.s2, this.s3] = expandSeed(seedWord(seed));
  }

  /** Resumes a stream saved with `state()`. */
  static fromState(state: RngState): Rng {
    const ok =
      state !== null &&
      typeof state === 'object' &&
      state.algorithm === 'xoshiro128**' &&
      Array.isArray(state.s) &&
      state.s.length === 4 &&
      state.s.every((v) => Number.isInteger(v) && v >= 0 && v < TWO_POW_32) &&
      state.s.some((v) => v !== 0) &&
      (state.spare === null || Number.isFinite(state.spare));
    if (!ok)
      throw new DurnUserError(
        'CHECKPOINT_INVALID',
        expected('an xoshiro128** RNG state', 'rng state', state),
      );
    const rng = new Rng(0);
    [rng.s0, rng.s1, rng.s2, rng.s3] = state.s;
    rng.spare = state.spare;
    return rng;
  }

  state(): RngState {
    return { algorithm: 'xoshiro128**', s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  /** Next raw 32-bit unsigned output. */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const r = Math.imul(s1, 5);
    const rot = (r << 7) | (r >>> 25);
    const result = Math.imul(rot, 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = (n2 ^ t) >>> 0;
    this.s3 = ((n3 << 11) | (n3 >>> 21)) >>> 0;
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 53 bits of resolution. */
  uniform(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  uniform(lo = 0, hi = 1): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    const u = (a * 67108864 + b) / 9007199254740992;
    return lo + (hi - lo) * u;
  }

  /** Log-uniform in [lo, hi): for scale parameters spanning decades (noise levels). */
  logUniform(lo: number, hi: number): number {
    return Math.exp(this.uniform(Math.log(lo), Math.log(hi)));
  }

  /** Uniform integer in [0, n), without modulo bias (Lemire-style rejection). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new DurnUserError('INVALID_OPTION', expected('an integer in [1, 2^32]', 'Rng.int(n)', n));
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Uniform integer in [lo, hi] inclusive. */
  intBetween(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Standard normal (mean 0, sd 1) by Box–Muller; the pair's second deviate is cached. */
  normal(): number;
  normal(mean: number, sd: number): number;
  normal(mean = 0, sd = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + sd * z;
    }
    // 1 - u avoids log(0); u has 53-bit resolution so the tail reaches ~8.5 sd.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return mean + sd * r * Math.cos(theta);
  }

  /**
   * Poisson deviate with mean lambda. Small means use Knuth's product of uniforms (exact, O(λ));
   * from λ = 10 on, Hörmann's PTRS transformed rejection (1993), exact and O(1) for any λ.
   */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) {
      throw new DurnUserError(
        'INVALID_OPTION',
        expected('a finite non-negative mean', 'Rng.poisson(lambda)', lambda),
      );
    }
    if (lambda === 0) return 0;
    if (lambda < 10) {
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = this.uniform();
      while (p > limit) {
        k++;
        p *= this.uniform();
      }
      return k;
    }
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.uniform() - 0.5;
      const v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      const lhs = Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b);
      if (lhs <= -lambda + k * loglam - logFactorial(k)) return k;
    }
  }

  /**
   * An independent child stream keyed by `keys` (e.g. epoch and sample index), derived from this
   * stream's current state without advancing it: the same parent state and keys give the same child.
   */
  fork(...keys: Seed[]): Rng {
    const child = new Rng(0);
    let x =
      (this.s0 ^
        Math.imul(this.s1, 0x9e3779b1) ^
        Math.imul(this.s2, 0x85ebca6b) ^
        Math.imul(this.s3, 0xc2b2ae35)) >>>
      0;
    for (const key of keys) {
      const [next, out] = splitmix32((x ^ seedWord(key)) >>> 0);
      x = (next ^ out) >>> 0;
    }
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(x);
      x = next;
      words.push(out ^ [this.s0, this.s1, this.s2, this.s3][i]!);
    }
    if (!words.some((w) => w !== 0)) words[0] = 1;
    [child.s0, child.s1, child.s2, child.s3] = words.map((w) => w >>> 0) as [number, number, number, number];
    return child;
  }

  /**
   * Splits off a child that takes the current stream while this generator jumps 2^64 steps ahead
   * (xoshiro's jump polynomial), so the two never overlap in practice.
   */
  split(): Rng {
    const child = Rng.fromState({
      algorithm: 'xoshiro128**',
      s: [this.s0, this.s1, this.s2, this.s3],
      spare: null,
    });
    this.jump();
    this.spare = null;
    return child;
  }

  /** Advances the state by 2^64 outputs. */
  jump(): void {
    const JUMP = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b];
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    for (const word of JUMP) {
      for (let b = 0; b < 32; b++) {
        if ((word >>> b) & 1) {
          t0 ^= this.s0;
          t1 ^= this.s1;
          t2 ^= this.s2;
          t3 ^= this.s3;
        }
        this.nextUint32();
      }
    }
    this.s0 = t0 >>> 0;
    this.s1 = t1 >>> 0;
    this.s2 = t2 >>> 0;
    this.s3 = t3 >>> 0;
  }
}

/** A generator seeded from a number or a string ("experiment-3", 42). */
export function createRng(seed: Seed = 0): Rng {
  return new Rng(seed);
}
