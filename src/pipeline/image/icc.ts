/**
 * Minimal ICC profile reader and matrix/TRC transforms (pure, no I/O).
 *
 * Photographic RGB profiles (sRGB, Adobe RGB, ProPhoto, Display P3, camera "matrix" profiles) and
 * grey gamma profiles are matrix/TRC profiles; handling them here, in float64, lets durn convert to
 * the networks' sRGB working space and *exactly* back, which lcms through sharp cannot promise
 * (sharp quantises between steps and picks Display P3 as its 16-bit working space). LUT-based and
 * CMYK/Lab profiles are left to lcms (see decode.ts).
 */
import {
  invertMat,
  linearToSrgb,
  type Mat3,
  mulMat,
  SRGB_TO_XYZ_D50,
  srgbToLinear,
  XYZ_D50_TO_SRGB,
} from './color.ts';

export type Curve =
  | { readonly kind: 'gamma'; readonly gamma: number }
  | { readonly kind: 'table'; readonly table: Float64Array }
  | { readonly kind: 'para'; readonly type: number; readonly p: readonly number[] };

export interface IccInfo {
  /** 'RGB ', 'GRAY', 'CMYK', 'Lab ' ... as stored (4 chars). */
  readonly colourSpace: string;
  readonly version: string;
  readonly description: string | null;
  /** Present when the profile is a matrix/TRC RGB profile (colorant columns, D50 PCS). */
  readonly matrix: Mat3 | null;
  readonly trc: readonly [Curve, Curve, Curve] | null;
  /** Grey TRC (kTRC) for GRAY profiles. */
  readonly greyTrc: Curve | null;
}

const ascii = (b: Buffer, start: number, len: number) => b.toString('latin1', start, start + len);

/** Parses the parts of an ICC profile durn needs; returns null when the bytes are not a profile. */
export function parseIcc(icc: Buffer): IccInfo | null {
  if (icc.length < 132 || ascii(icc, 36, 4) !== 'acsp') return null;
  const count = icc.readUInt32BE(128);
  if (132 + count * 12 > icc.length) return null;
  const tags = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const at = 132 + i * 12;
    const off = icc.readUInt32BE(at + 4);
    const size = icc.readUInt32BE(at + 8);
    if (off + size <= icc.length) tags.set(ascii(icc, at, 4), icc.subarray(off, off + size));
  }
  const colourSpace = ascii(icc, 16, 4);
  const xyz = (sig: string) => {
    const t = tags.get(sig);
    if (!t || t.length < 20 || ascii(t, 0, 4) !== 'XYZ ') return null;
    return [t.readInt32BE(8) / 65536, t.readInt32BE(12) / 65536, t.readInt32BE(16) / 65536] as const;
  };
  const curve = (sig: string) => {
    const t = tags.get(sig);
    return t ? parseCurve(t) : null;
  };
  let matrix: Mat3 | null = null;
  let trc: [Curve, Curve, Curve] | null = null;
  const r = xyz('rXYZ');
  const g = xyz('gXYZ');
  const b = xyz('bXYZ');
  const rt = curve('rTRC');
  const gt = curve('gTRC');
  const bt = curve('bTRC');
  if (colourSpace === 'RGB ' && r && g && b && rt && gt && bt) {
    matrix = [r[0], g[0], b[0], r[1], g[1], b[1], r[2], g[2], b[2]];
    trc = [rt, gt, bt];
  }
  return {
    colourSpace,
    version: `${icc[8]}.${(icc[9] ?? 0) >> 4}`,
    description: readDescription(tags.get('desc')),
    matrix,
    trc,
    greyTrc: colourSpace === 'GRAY' ? curve('kTRC') : null,
  };
}

function parseCurve(t: Buffer): Curve | null {
  const type = ascii(t, 0, 4);
  if (type === 'curv' && t.length >= 12) {
    const n = t.readUInt32BE(8);
    if (n === 0) return { kind: 'gamma', gamma: 1 };
    if (n === 1) return { kind: 'gamma', gamma: t.readUInt16BE(12) / 256 };
    if (t.length < 12 + 2 * n) return null;
    const table = new Float64Array(n);
    for (let i = 0; i < n; i++) table[i] = t.readUInt16BE(12 + 2 * i) / 65535;
    for (let i = 1; i < n; i++) if (table[i]! < table[i - 1]!) return null; // must be invertible
    return { kind: 'table', table };
  }
  if (type === 'para' && t.length >= 12) {
    const fn = t.readUInt16BE(8);
    const nParams = [1, 3, 4, 5, 7][fn];
    if (nParams === undefined || t.length < 12 + 4 * nParams) return null;
    const p: number[] = [];
    for (let i = 0; i < nParams; i++) p.push(t.readInt32BE(12 + 4 * i) / 65536);
    return { kind: 'para', type: fn, p };
  }
  return null;
}

function readDescription(t: Buffer | undefined): string | null {
  if (!t || t.length < 12) return null;
  const type = ascii(t, 0, 4);
  if (type === 'desc') {
    const n = t.readUInt32BE(8);
    return t.toString('latin1', 12, Math.min(t.length, 12 + n)).replace(/\0+$/, '') || null;
  }
  if (type === 'mluc' && t.length >= 28) {
    const len = t.readUInt32BE(20);
    const off = t.readUInt32BE(24);
    const s = t.subarray(off, off + len);
    let out = '';
    for (let i = 0; i + 1 < s.length; i += 2) out += String.fromCharCode(s.readUInt16BE(i));
    return out.replace(/\0+$/, '') || null;
  }
  return null;
}

/** Device value in [0,1] → linear light, per the curve. */
export function evalCurve(c: Curve, x: number): number {
  if (c.kind === 'gamma') return x <= 0 ? 0 : x ** c.gamma;
  if (c.kind === 'table') {
    const t = c.table;
    const pos = Math.min(Math.max(x, 0), 1) * (t.length - 1);
    const i = Math.min(Math.floor(pos), t.length - 2);
    return t[i]! + (t[i + 1]! - t[i]!) * (pos - i);
  }
  const [g = 1, a = 1, b = 0, cc = 0, d = 0, e = 0, f = 0] = c.p;
  const pw = (v: number) => (v <= 0 ? 0 : v ** g);
  switch (c.type) {
    case 0:
      return pw(x);
    case 1:
      return x >= -b / a ? pw(a * x + b) : 0;
    case 2:
      return x >= -b / a ? pw(a * x + b) + cc : cc;
    case 3:
      return x >= d ? pw(a * x + b) : cc * x;
    default:
      return x >= d ? pw(a * x + b) + e : cc * x + f;
  }
}

/** Linear light → device value in [0,1]: the exact inverse of evalCurve on its monotonic range. */
export function invertCurve(c: Curve, y: number): number {
  const v = Math.min(Math.max(y, 0), 1);
  if (c.kind === 'gamma') return v ** (1 / c.gamma);
  if (c.kind === 'table') {
    const t = c.table;
    let lo = 0;
    let hi = t.length - 1;
    if (v <= t[0]!) return 0;
    if (v >= t[hi]!) return 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (t[mid]! <= v) lo = mid;
      else hi = mid;
    }
    const span = t[hi]! - t[lo]!;
    return (lo + (span > 0 ? (v - t[lo]!) / span : 0)) / (t.length - 1);
  }
  const [g = 1, a = 1, b = 0, cc = 0, d = 0, e = 0, f = 0] = c.p;
  const root = (w: number) => (Math.max(w, 0) ** (1 / g) - b) / a;
  const clamp01 = (x: number) => Math.min(Math.max(x, 0), 1);
  switch (c.type) {
    case 0:
      return v ** (1 / g);
    case 1:
      return clamp01(v <= 0 ? -b / a : root(v));
    case 2:
      return clamp01(v <= cc ? -b / a : root(v - cc));
    case 3:
      return clamp01(v >= evalCurve(c, d) ? root(v) : cc === 0 ? 0 : v / cc);
    default:
      return clamp01(v >= evalCurve(c, d) ? root(v - e) : cc === 0 ? 0 : (v - f) / cc);
  }
}

const SRGB_CURVE_PROBES = [0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1];

function isSrgbCurve(c: Curve): boolean {
  return SRGB_CURVE_PROBES.every((x) => Math.abs(evalCurve(c, x) - srgbToLinear(x)) < 1e-3);
}

/**
 * How pixels in a profile's space reach the networks' working space (sRGB-encoded, D50 PCS).
 * - identity: the profile is sRGB (or an untagged image); pixels are used as they are.
 * - matrix / grey: handled exactly in float64 here.
 * - lcms: anything else; converted by sharp/lcms to sRGB and written back as sRGB.
 */
export type ProfileTransform =
  | { readonly kind: 'identity' }
  | {
      readonly kind: 'matrix';
      readonly toSrgb: Mat3;
      readonly fromSrgb: Mat3;
      readonly trc: readonly [Curve, Curve, Curve];
    }
  | { readonly kind: 'grey'; readonly trc: Curve }
  | { readonly kind: 'lcms' };

export function profileTransform(icc: Buffer | null, grey: boolean): ProfileTransform {
  if (!icc) return { kind: 'identity' };
  const info = parseIcc(icc);
  if (!info) return { kind: 'lcms' };
  if (grey) {
    if (info.colourSpace !== 'GRAY' || !info.greyTrc) return { kind: 'lcms' };
    return isSrgbCurve(info.greyTrc) ? { kind: 'identity' } : { kind: 'grey', trc: info.greyTrc };
  }
  if (!info.matrix || !info.trc) return { kind: 'lcms' };
  const m = info.matrix;
  const srgbLike = info.trc.every(isSrgbCurve) && m.every((v, i) => Math.abs(v - SRGB_TO_XYZ_D50[i]!) < 2e-3);
  if (srgbLike) return { kind: 'identity' };
  try {
    return {
      kind: 'matrix',
      toSrgb: mulMat(XYZ_D50_TO_SRGB, m),
      fromSrgb: mulMat(invertMat(m), SRGB_TO_XYZ_D50),
      trc: info.trc,
    };
  } catch {
    return { kind: 'lcms' };
  }
}

/**
 * Converts planar device-space values (already scaled to [0,1]) to sRGB working values in place.
 * `levels` (255 or 65535) lets the curve be tabulated per code value: exact and fast.
 */
export function deviceToWorking(t: ProfileTransform, planes: Float32Array, n: number, levels: number): void {
  workingConverter(t, levels)(planes, n);
}

/**
 * deviceToWorking with its tables built once, for a photo converted region by region: the
 * same arithmetic, so a region converted alone equals the same pixels of the whole image.
 */
export function workingConverter(
  t: ProfileTransform,
  levels: number,
): (planes: Float32Array, n: number) => void {
  if (t.kind === 'identity' || t.kind === 'lcms') return () => {};
  const lut = (c: Curve) => {
    const table = new Float64Array(levels + 1);
    for (let i = 0; i <= levels; i++) table[i] = evalCurve(c, i / levels);
    return table;
  };
  const at = (table: Float64Array, v: number) => table[Math.round(v * levels)]!;
  if (t.kind === 'grey') {
    const l = lut(t.trc);
    return (planes, n) => {
      for (let i = 0; i < n; i++) planes[i] = linearToSrgb(at(l, planes[i]!));
    };
  }
  const [lr, lg, lb] = t.trc.map(lut) as [Float64Array, Float64Array, Float64Array];
  const m = t.toSrgb;
  return (planes, n) => {
    for (let i = 0; i < n; i++) {
      const r = at(lr, planes[i]!);
      const g = at(lg, planes[n + i]!);
      const b = at(lb, planes[2 * n + i]!);
      planes[i] = linearToSrgb(m[0] * r + m[1] * g + m[2] * b);
      planes[n + i] = linearToSrgb(m[3] * r + m[4] * g + m[5] * b);
      planes[2 * n + i] = linearToSrgb(m[6] * r + m[7] * g + m[8] * b);
    }
  };
}

/** Inverse of deviceToWorking, into a new array of device values in [0,1] (float64 maths). */
export function workingToDevice(t: ProfileTransform, planes: Float32Array, n: number): Float32Array {
  if (t.kind === 'identity' || t.kind === 'lcms') return planes;
  const out = new Float32Array(planes.length);
  if (t.kind === 'grey') {
    for (let i = 0; i < n; i++) out[i] = invertCurve(t.trc, srgbToLinear(planes[i]!));
    return out;
  }
  const m = t.fromSrgb;
  const [cr, cg, cb] = t.trc;
  for (let i = 0; i < n; i++) {
    const r = srgbToLinear(planes[i]!);
    const g = srgbToLinear(planes[n + i]!);
    const b = srgbToLinear(planes[2 * n + i]!);
    out[i] = invertCurve(cr, m[0] * r + m[1] * g + m[2] * b);
    out[n + i] = invertCurve(cg, m[3] * r + m[4] * g + m[5] * b);
    out[2 * n + i] = invertCurve(cb, m[6] * r + m[7] * g + m[8] * b);
  }
  return out;
}
