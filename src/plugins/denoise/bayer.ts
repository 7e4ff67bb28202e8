/**
 * Bayer colour filter arrays and two linear demosaicers, for the camera-pipeline noise model.
 *
 * A pattern names the 2×2 tile row by row: RGGB has red at (0, 0), green at (0, 1) and (1, 0),
 * blue at (1, 1). Mosaics are single planes (height × width) holding each photosite's one colour.
 * Borders mirror without repeating the edge sample (…2 1 | 0 1 2…), which keeps the CFA parity,
 * so both demosaicers see a valid Bayer neighbourhood everywhere.
 */
export const BAYER_PATTERNS = ['RGGB', 'BGGR', 'GRBG', 'GBRG'] as const;
export type BayerPattern = (typeof BAYER_PATTERNS)[number];
export type DemosaicMethod = 'bilinear' | 'malvar';

const CHANNEL: Record<string, number> = { R: 0, G: 1, B: 2 };

/** Channel index (0 R, 1 G, 2 B) of each position of the 2×2 tile, row-major. */
export function cfaTile(pattern: BayerPattern): readonly [number, number, number, number] {
  return [...pattern].map((ch) => CHANNEL[ch]!) as unknown as [number, number, number, number];
}

/** Mirror index without edge repetition; `n` ≥ 2 keeps parity (periodic with period 2n − 2). */
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/** The mosaic of a planar RGB image: each photosite keeps its filter's channel. */
export function mosaic(
  rgb: Float64Array,
  height: number,
  width: number,
  pattern: BayerPattern,
): Float64Array {
  const tile = cfaTile(pattern);
  const n = height * width;
  const out = new Float64Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = tile[((y & 1) << 1) | (x & 1)]!;
      out[y * width + x] = rgb[c * n + y * width + x]!;
    }
  }
  return out;
}

// Bilinear: a missing green is the mean of its 4 neighbours; a missing red/blue the mean of its 2
// (same row or column) or 4 (diagonal) neighbours of that colour.

// Malvar, He and Cutler, "High-quality linear interpolation for demosaicing of Bayer-patterned
// color images" (ICASSP 2004): 5×5 gradient-corrected filters over the whole mosaic, ×1/8.
const MHC_G_AT_RB = [0, 0, -1, 0, 0, 0, 0, 2, 0, 0, -1, 2, 4, 2, -1, 0, 0, 2, 0, 0, 0, 0, -1, 0, 0];
/** Red (blue) at a green site whose row holds red (blue). */
const MHC_ROW = [0, 0, 0.5, 0, 0, 0, -1, 0, -1, 0, -1, 4, 5, 4, -1, 0, -1, 0, -1, 0, 0, 0, 0.5, 0, 0];
/** Red (blue) at a green site whose column holds red (blue). */
const MHC_COL = [0, 0, -1, 0, 0, 0, -1, 4, -1, 0, 0.5, 0, 5, 0, 0.5, 0, -1, 4, -1, 0, 0, 0, -1, 0, 0];
/** Red at blue, blue at red. */
const MHC_DIAG = [0, 0, -1.5, 0, 0, 0, 2, 0, 2, 0, -1.5, 0, 6, 0, -1.5, 0, 2, 0, 2, 0, 0, 0, -1.5, 0, 0];

/**
 * Full planar RGB (3 × height × width) from a mosaic. Both methods are linear in the mosaic, so
 * demosaic(a + b) = demosaic(a) + demosaic(b): the noise model relies on it.
 */
export function demosaic(
  m: Float64Array,
  height: number,
  width: number,
  pattern: BayerPattern,
  method: DemosaicMethod,
): Float64Array {
  const tile = cfaTile(pattern);
  const n = height * width;
  const out = new Float64Array(3 * n);
  // The mosaic with a mirrored 2-pixel border, so the filters index it directly.
  const pw = width + 4;
  const p = new Float64Array(pw * (height + 4));
  for (let y = -2; y < height + 2; y++)
    for (let x = -2; x < width + 2; x++)
      p[(y + 2) * pw + x + 2] = m[mirror(y, height) * width + mirror(x, width)]!;
  const apply5 = (k: readonly number[], centre: number) => {
    let s = 0;
    for (let dy = -2; dy <= 2; dy++) {
      const row = centre + dy * pw;
      for (let dx = -2; dx <= 2; dx++) {
        const w = k[(dy + 2) * 5 + dx + 2]!;
        if (w !== 0) s += w * p[row + dx]!;
      }
    }
    return s / 8;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const own = tile[((y & 1) << 1) | (x & 1)]!;
      const i = y * width + x;
      const centre = (y + 2) * pw + x + 2;
      out[own * n + i] = m[i]!;
      // The tile positions sharing this site's row and column parity with its neighbours.
      const rowMate = tile[((y & 1) << 1) | ((x + 1) & 1)]!;
      const colMate = tile[(((y + 1) & 1) << 1) | (x & 1)]!;
      for (let c = 0; c < 3; c++) {
        if (c === own) continue;
        let v: number;
        if (method === 'bilinear') {
          if (rowMate === c && colMate === c) {
            // Green at red/blue: its 4 neighbours.
            v = (p[centre - 1]! + p[centre + 1]! + p[centre - pw]! + p[centre + pw]!) / 4;
          } else if (rowMate === c) v = (p[centre - 1]! + p[centre + 1]!) / 2;
          else if (colMate === c) v = (p[centre - pw]! + p[centre + pw]!) / 2;
          else
            v = (p[centre - pw - 1]! + p[centre - pw + 1]! + p[centre + pw - 1]! + p[centre + pw + 1]!) / 4;
        } else if (c === 1) v = apply5(MHC_G_AT_RB, centre);
        else if (own !== 1) v = apply5(MHC_DIAG, centre);
        else v = apply5(rowMate === c ? MHC_ROW : MHC_COL, centre);
        out[c * n + i] = v;
      }
    }
  }
  return out;
}
