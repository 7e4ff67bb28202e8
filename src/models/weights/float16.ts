/**
 * IEEE 754 binary16 conversion. float32 → float16 rounds to nearest, ties to even, including into
 * and within the subnormal range; overflow gives ±inf; NaN stays NaN (payload truncated, quiet bit set).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value → float16 bit pattern. */
export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  const e = exp - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal result: units of 2^-24. The implicit bit joins the mantissa, shifted by 14 - e.
    const s = 14 - e;
    if (s > 24) return sign;
    const m = mant | 0x800000;
    const half = m >>> s;
    const rem = m & ((1 << s) - 1);
    const halfway = 1 << (s - 1);
    return sign | (half + (rem > halfway || (rem === halfway && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, up to inf: exactly IEEE's behaviour.
  return sign | (half + (rem > 0x1000 || (rem === 0x1000 && half & 1) ? 1 : 0));
}

/** float16 bit pattern → float32 value (exact). */
export function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) {
    if (mant === 0) return sign * Number.POSITIVE_INFINITY;
    u32[0] = ((h & 0x8000) << 16) | 0x7f800000 | (mant << 13);
    return f32[0]!;
  }
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function encodeFloat16Array(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float32ToFloat16(src[i]!);
  return out;
}

export function decodeFloat16Array(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = float16ToFloat32(src[i]!);
  return out;
}
