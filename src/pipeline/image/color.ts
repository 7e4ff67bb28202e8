/**
 * Pure colour maths: sRGB transfer curves, RGB↔XYZ matrices, CIE Lab and colour differences.
 * No I/O; used by the ICC transforms and by tests that measure colour fidelity (ΔE).
 */

export type Vec3 = readonly [number, number, number];
/** Row-major 3×3 matrix. */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];

/** ICC profile connection space white (D50), as the ICC spec rounds it. */
export const D50: Vec3 = [0.9642, 1.0, 0.8249];
export const D65: Vec3 = [0.95047, 1.0, 1.08883];

/** sRGB decoding (EOTF), extended to negatives by odd symmetry so wide-gamut values survive. */
export function srgbToLinear(v: number): number {
  const a = Math.abs(v);
  const lin = a <= 0.04045 ? a / 12.92 : ((a + 0.055) / 1.055) ** 2.4;
  return v < 0 ? -lin : lin;
}

/** sRGB encoding (inverse EOTF), extended the same way. */
export function linearToSrgb(v: number): number {
  const a = Math.abs(v);
  const enc = a <= 0.0031308 ? a * 12.92 : 1.055 * a ** (1 / 2.4) - 0.055;
  return v < 0 ? -enc : enc;
}

export function mulMat(a: Mat3, b: Mat3): Mat3 {
  const r: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      r.push(a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!);
    }
  }
  return r as unknown as Mat3;
}

export function mulVec(m: Mat3, v: Vec3): [number, number, number] {
  return [
    m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
    m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
    m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
  ];
}

export function invertMat(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) throw new RangeError('singular colour matrix');
  const k = 1 / det;
  return [
    A * k,
    -(b * i - c * h) * k,
    (b * f - c * e) * k,
    B * k,
    (a * i - c * g) * k,
    -(a * f - c * d) * k,
    C * k,
    -(a * h - b * g) * k,
    (a * e - b * d) * k,
  ];
}

const BRADFORD: Mat3 = [0.8951, 0.2664, -0.1614, -0.7502, 1.7135, 0.0367, 0.0389, -0.0685, 1.0296];

/** Bradford chromatic adaptation matrix from one white to another (XYZ → XYZ). */
export function bradford(from: Vec3, to: Vec3): Mat3 {
  const s = mulVec(BRADFORD, from);
  const d = mulVec(BRADFORD, to);
  const scale: Mat3 = [d[0] / s[0], 0, 0, 0, d[1] / s[1], 0, 0, 0, d[2] / s[2]];
  return mulMat(invertMat(BRADFORD), mulMat(scale, BRADFORD));
}

/** Linear RGB → XYZ matrix from xy chromaticities of the primaries and the white point. */
export function rgbToXyzMatrix(
  primaries: readonly [readonly [number, number], readonly [number, number], readonly [number, number]],
  white: Vec3,
): Mat3 {
  const cols = primaries.map(([x, y]) => [x / y, 1, (1 - x - y) / y] as const);
  const p: Mat3 = [
    cols[0]![0],
    cols[1]![0],
    cols[2]![0],
    cols[0]![1],
    cols[1]![1],
    cols[2]![1],
    cols[0]![2],
    cols[1]![2],
    cols[2]![2],
  ];
  const s = mulVec(invertMat(p), white);
  return [
    p[0] * s[0],
    p[1] * s[1],
    p[2] * s[2],
    p[3] * s[0],
    p[4] * s[1],
    p[5] * s[2],
    p[6] * s[0],
    p[7] * s[1],
    p[8] * s[2],
  ];
}

const SRGB_PRIMARIES = [
  [0.64, 0.33],
  [0.3, 0.6],
  [0.15, 0.06],
] as const;

/** Linear sRGB → XYZ relative to D50 (the ICC PCS), Bradford-adapted as ICC profiles store it. */
export const SRGB_TO_XYZ_D50: Mat3 = mulMat(bradford(D65, D50), rgbToXyzMatrix(SRGB_PRIMARIES, D65));
export const XYZ_D50_TO_SRGB: Mat3 = invertMat(SRGB_TO_XYZ_D50);

/** CIE XYZ → L*a*b* relative to `white` (default D50, the ICC PCS white). */
export function xyzToLab(xyz: Vec3, white: Vec3 = D50): [number, number, number] {
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  const fx = f(xyz[0] / white[0]);
  const fy = f(xyz[1] / white[1]);
  const fz = f(xyz[2] / white[2]);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** sRGB-encoded values (nominally [0,1]) → Lab (D50). */
export function srgbToLab(rgb: Vec3): [number, number, number] {
  return xyzToLab(
    mulVec(SRGB_TO_XYZ_D50, [srgbToLinear(rgb[0]), srgbToLinear(rgb[1]), srgbToLinear(rgb[2])]),
  );
}

export function deltaE76(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), kL = kC = kH = 1. */
export function deltaE2000(lab1: Vec3, lab2: Vec3): number {
  const [L1, a1, b1] = lab1;
  const [L2, a2, b2] = lab2;
  const rad = Math.PI / 180;
  const C1 = Math.hypot(a1, b1);
  const C2 = Math.hypot(a2, b2);
  const Cm7 = ((C1 + C2) / 2) ** 7;
  const G = 0.5 * (1 - Math.sqrt(Cm7 / (Cm7 + 25 ** 7)));
  const a1p = (1 + G) * a1;
  const a2p = (1 + G) * a2;
  const C1p = Math.hypot(a1p, b1);
  const C2p = Math.hypot(a2p, b2);
  const hue = (b: number, a: number) => {
    if (a === 0 && b === 0) return 0;
    const h = Math.atan2(b, a) / rad;
    return h < 0 ? h + 360 : h;
  };
  const h1p = hue(b1, a1p);
  const h2p = hue(b2, a2p);
  const dLp = L2 - L1;
  const dCp = C2p - C1p;
  let dhp = 0;
  if (C1p * C2p !== 0) {
    dhp = h2p - h1p;
    if (dhp > 180) dhp -= 360;
    else if (dhp < -180) dhp += 360;
  }
  const dHp = 2 * Math.sqrt(C1p * C2p) * Math.sin((dhp / 2) * rad);
  const Lmp = (L1 + L2) / 2;
  const Cmp = (C1p + C2p) / 2;
  let hmp = h1p + h2p;
  if (C1p * C2p !== 0) {
    if (Math.abs(h1p - h2p) > 180) hmp += h1p + h2p < 360 ? 360 : -360;
    hmp /= 2;
  }
  const T =
    1 -
    0.17 * Math.cos((hmp - 30) * rad) +
    0.24 * Math.cos(2 * hmp * rad) +
    0.32 * Math.cos((3 * hmp + 6) * rad) -
    0.2 * Math.cos((4 * hmp - 63) * rad);
  const dTheta = 30 * Math.exp(-(((hmp - 275) / 25) ** 2));
  const Cmp7 = Cmp ** 7;
  const Rc = 2 * Math.sqrt(Cmp7 / (Cmp7 + 25 ** 7));
  const Sl = 1 + (0.015 * (Lmp - 50) ** 2) / Math.sqrt(20 + (Lmp - 50) ** 2);
  const Sc = 1 + 0.045 * Cmp;
  const Sh = 1 + 0.015 * Cmp * T;
  const Rt = -Math.sin(2 * dTheta * rad) * Rc;
  return Math.sqrt((dLp / Sl) ** 2 + (dCp / Sc) ** 2 + (dHp / Sh) ** 2 + Rt * (dCp / Sc) * (dHp / Sh));
}
