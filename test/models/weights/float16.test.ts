import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16 } from '../../../src/models/weights/float16.ts';

const f32bits = (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0]!;

describe('float16 conversion', () => {
  it('round-trips every float16 bit pattern exactly (NaNs stay NaN)', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      const v = float16ToFloat32(h);
      const ok = Number.isNaN(v)
        ? Number.isNaN(float16ToFloat32(float32ToFloat16(v)))
        : float32ToFloat16(v) === h;
      if (!ok) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('rounds halfway cases to even and other values to nearest, across normals and subnormals', () => {
    // For each pair of neighbouring positive finite halves, probe the midpoint and just either side.
    const wrong: number[] = [];
    const below = new Float32Array(1);
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (float16ToFloat32(h) + float16ToFloat32(h + 1)) / 2; // exact in float32
      new Uint32Array(below.buffer)[0] = f32bits(mid) - 1;
      const ok =
        float32ToFloat16(mid) === (h % 2 === 0 ? h : h + 1) &&
        float32ToFloat16(-mid) === ((h % 2 === 0 ? h : h + 1) | 0x8000) &&
        float32ToFloat16(below[0]!) === h &&
        float32ToFloat16(-below[0]!) === (h | 0x8000);
      if (!ok) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('handles the edges: max, overflow, smallest subnormal, underflow, signed zero, inf, nan', () => {
    expect(float32ToFloat16(65504)).toBe(0x7bff);
    expect(float32ToFloat16(65519.99)).toBe(0x7bff); // below the midpoint to the next (virtual) step
    expect(float32ToFloat16(65520)).toBe(0x7c00); // the midpoint rounds to even: infinity
    expect(float32ToFloat16(1e10)).toBe(0x7c00);
    expect(float32ToFloat16(-1e10)).toBe(0xfc00);
    expect(float32ToFloat16(2 ** -24)).toBe(0x0001);
    expect(float32ToFloat16(2 ** -25)).toBe(0x0000); // exactly half the smallest: ties to even (0)
    expect(float32ToFloat16(2 ** -25 * 1.0001)).toBe(0x0001);
    expect(float32ToFloat16(1e-45)).toBe(0); // a float32 subnormal
    expect(float32ToFloat16(-0)).toBe(0x8000);
    expect(float32ToFloat16(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(float32ToFloat16(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
    expect(float32ToFloat16(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToFloat16(Number.NaN) & 0x3ff).not.toBe(0);
    expect(float16ToFloat32(0x3c00)).toBe(1);
    expect(float16ToFloat32(0x0400)).toBe(2 ** -14);
    expect(Object.is(float16ToFloat32(0x8000), -0)).toBe(true);
  });
});
