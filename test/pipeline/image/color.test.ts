import { describe, expect, it } from 'vitest';
import {
  deltaE76,
  deltaE2000,
  invertMat,
  linearToSrgb,
  mulMat,
  SRGB_TO_XYZ_D50,
  srgbToLab,
  srgbToLinear,
} from '../../../src/pipeline/image/color.ts';
import { evalCurve, invertCurve, parseIcc, profileTransform } from '../../../src/pipeline/image/icc.ts';
import { ADOBE_RGB_D50, buildMatrixProfile } from './icc-profile.ts';

describe('colour maths', () => {
  it('maps sRGB white to L=100 and primaries to their published D50 Lab values', () => {
    const white = srgbToLab([1, 1, 1]);
    expect(white[0]).toBeCloseTo(100, 2);
    expect(Math.abs(white[1]) + Math.abs(white[2])).toBeLessThan(0.05);
    // Bruce Lindbloom, sRGB red with Bradford to D50: L 54.29, a 80.81, b 69.89
    const red = srgbToLab([1, 0, 0]);
    expect(deltaE76(red, [54.29, 80.81, 69.89])).toBeLessThan(0.2);
  });

  it('computes CIEDE2000 like Sharma, Wu & Dalal’s test pairs', () => {
    expect(deltaE2000([50, 2.6772, -79.7751], [50, 0, -82.7485])).toBeCloseTo(2.0425, 3);
    expect(deltaE2000([50, -1, 2], [50, 0, 0])).toBeCloseTo(2.3669, 3);
    expect(deltaE2000([2.0776, 0.0795, -1.135], [0.9033, -0.0636, -0.5514])).toBeCloseTo(0.9082, 3);
    expect(deltaE2000([50, 2.5, 0], [73, 25, -18])).toBeCloseTo(27.1492, 3);
  });

  it('inverts the sRGB curve and matrices, including out-of-gamut negatives', () => {
    for (const v of [-0.3, -0.001, 0, 0.003, 0.04, 0.5, 1, 1.2])
      expect(linearToSrgb(srgbToLinear(v))).toBeCloseTo(v, 12);
    const id = mulMat(SRGB_TO_XYZ_D50, invertMat(SRGB_TO_XYZ_D50));
    id.forEach((v, i) => {
      expect(v).toBeCloseTo(i % 4 === 0 ? 1 : 0, 12);
    });
  });
});

describe('ICC matrix/TRC profiles', () => {
  it('parses a written profile and inverts its curve exactly', () => {
    const info = parseIcc(buildMatrixProfile('Test Adobe', ADOBE_RGB_D50, 563 / 256));
    expect(info?.description).toBe('Test Adobe');
    expect(info?.colourSpace).toBe('RGB ');
    const trc = info!.trc![0];
    for (let i = 0; i <= 65535; i += 97)
      expect(invertCurve(trc, evalCurve(trc, i / 65535)) * 65535).toBeCloseTo(i, 6);
    expect(profileTransform(buildMatrixProfile('x', ADOBE_RGB_D50, 2.2), false).kind).toBe('matrix');
    expect(profileTransform(null, false).kind).toBe('identity');
    expect(profileTransform(Buffer.from('not a profile'), false).kind).toBe('lcms');
  });

  it('inverts table and parametric curves', () => {
    const table = {
      kind: 'table',
      table: Float64Array.from({ length: 1024 }, (_, i) => srgbToLinear(i / 1023)),
    } as const;
    const para = { kind: 'para', type: 3, p: [2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045] } as const;
    for (const c of [table, para]) {
      for (let i = 0; i <= 1000; i++) expect(invertCurve(c, evalCurve(c, i / 1000))).toBeCloseTo(i / 1000, 9);
    }
  });
});
