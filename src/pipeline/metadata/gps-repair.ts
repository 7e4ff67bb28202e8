/**
 * Rescuing GPS coordinates that ExifTool reads as empty. Some cameras (the Nikon D5000 sample)
 * store latitude/longitude as degrees and decimal minutes with the seconds rational set to 0/0.
 * ExifTool's value conversion gives "" for such a value, so a tag copy would silently drop the
 * photo's position. The stored rationals are read here straight from the EXIF block and turned
 * into decimal degrees (0/0 seconds counted as 0), which copyMetadata writes back as D/M/S.
 */

export interface RawGpsPosition {
  /** Unsigned decimal degrees from the stored rationals; the hemisphere stays in the *Ref tags. */
  readonly latitude?: number;
  readonly longitude?: number;
}

const GPS_IFD_POINTER = 0x8825;
const GPS_LATITUDE = 0x0002;
const GPS_LONGITUDE = 0x0004;
const RATIONAL = 5;

/**
 * Decimal degrees of GPSLatitude/GPSLongitude from an EXIF block ("Exif\0\0" + TIFF, or bare
 * TIFF), where their degrees and minutes are well defined. Anything malformed gives {}.
 */
export function readRawGpsPosition(exif: Buffer): RawGpsPosition {
  try {
    const start = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
    const tiff = exif.subarray(start);
    const order = tiff.subarray(0, 2).toString('latin1');
    if (order !== 'II' && order !== 'MM') return {};
    const le = order === 'II';
    const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
    const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
    if (u16(2) !== 42) return {};
    const gpsIfd = findEntry(tiff, u32(4), GPS_IFD_POINTER, u16);
    if (gpsIfd === undefined) return {};
    const gpsOffset = u32(gpsIfd + 8);
    const read = (tag: number): number | undefined => {
      const entry = findEntry(tiff, gpsOffset, tag, u16);
      if (entry === undefined || u16(entry + 2) !== RATIONAL || u32(entry + 4) !== 3) return undefined;
      const at = u32(entry + 8);
      if (at + 24 > tiff.length) return undefined;
      const part = (i: number): number | undefined => {
        const num = u32(at + i * 8);
        const den = u32(at + i * 8 + 4);
        return den === 0 ? (num === 0 ? undefined : Number.NaN) : num / den;
      };
      const [deg, min, sec] = [part(0), part(1), part(2)];
      // Degrees and minutes must be real numbers; only the seconds may be the undefined 0/0.
      if (deg === undefined || min === undefined || Number.isNaN(deg) || Number.isNaN(min)) return undefined;
      if (sec !== undefined && Number.isNaN(sec)) return undefined;
      const value = deg + min / 60 + (sec ?? 0) / 3600;
      return Number.isFinite(value) && value <= 180 ? value : undefined;
    };
    const latitude = read(GPS_LATITUDE);
    const longitude = read(GPS_LONGITUDE);
    return {
      ...(latitude !== undefined && latitude <= 90 ? { latitude } : {}),
      ...(longitude !== undefined ? { longitude } : {}),
    };
  } catch {
    return {}; // out-of-range offsets in a damaged EXIF block
  }
}

/** Byte offset of the 12-byte IFD entry for `tag` in the IFD at `ifd`, or undefined. */
function findEntry(tiff: Buffer, ifd: number, tag: number, u16: (at: number) => number): number | undefined {
  if (ifd < 8 || ifd + 2 > tiff.length) return undefined;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(entry) === tag) return entry;
  }
  return undefined;
}
