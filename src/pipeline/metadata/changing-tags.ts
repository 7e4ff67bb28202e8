/**
 * Tags (ExifTool "Group1:Name", `*` = any) that legitimately differ between a source photo and its
 * restored copy, each with the reason. Everything else must survive copyMetadata unchanged; the
 * metadata tests enforce that on real camera files.
 */
export interface ChangingTag {
  readonly pattern: string;
  readonly reason: string;
  /** 'profile-replaced': may change only when the output's ICC profile is not the source's. */
  readonly only?: 'profile-replaced';
}

export const CHANGING_TAGS: readonly ChangingTag[] = [
  { pattern: 'SourceFile', reason: 'the path of the file read' },
  { pattern: 'System:*', reason: 'file-system facts (name, size, dates, permissions) of a new file' },
  { pattern: 'File:*', reason: 'encoding facts of the new file (size, subsampling, process, digests)' },
  { pattern: 'Composite:*', reason: 'computed by ExifTool from other tags, not stored' },
  { pattern: 'MWG:*', reason: 'computed by ExifTool from other tags, not stored' },
  { pattern: 'JFIF:*', reason: 'JPEG container header written by the encoder' },
  { pattern: 'Adobe:*', reason: 'APP14 encoder flags of the old JPEG stream' },
  { pattern: 'IFD0:Orientation', reason: 'pixels are written upright, so orientation becomes 1' },
  { pattern: 'XMP-tiff:Orientation', reason: 'pixels are written upright, so orientation becomes 1' },
  { pattern: 'IFD0:ImageWidth', reason: 'describes the old pixel data' },
  { pattern: 'IFD0:ImageHeight', reason: 'describes the old pixel data' },
  { pattern: 'IFD0:BitsPerSample', reason: 'describes the old pixel data' },
  { pattern: 'IFD0:Compression', reason: 'describes the old pixel data' },
  { pattern: 'IFD0:PhotometricInterpretation', reason: 'describes the old pixel data' },
  { pattern: 'IFD0:SamplesPerPixel', reason: 'describes the old pixel data' },
  { pattern: 'IFD0:PlanarConfiguration', reason: 'describes the old pixel data' },
  { pattern: 'ExifIFD:ExifImageWidth', reason: 'set to the output size' },
  { pattern: 'ExifIFD:ExifImageHeight', reason: 'set to the output size' },
  { pattern: 'XMP-exif:PixelXDimension', reason: 'set to the output size' },
  { pattern: 'XMP-exif:PixelYDimension', reason: 'set to the output size' },
  { pattern: 'IFD1:*', reason: 'EXIF thumbnail regenerated from the restored pixels' },
  { pattern: '*:PreviewImage*', reason: 'maker-note previews show the unrestored image; dropped' },
  { pattern: 'XMP-x:XMPToolkit', reason: 'ExifTool rewrites the XMP packet and names itself' },
  { pattern: 'XMP-xmpMM:History*', reason: 'durn appends its provenance event (earlier events are kept)' },
  { pattern: 'Photoshop:IPTCDigest', reason: 'recomputed for the rewritten IPTC block' },
  {
    pattern: 'Photoshop:*',
    reason: 'Photoshop-private resources (print/slice settings) ExifTool cannot write',
  },
  {
    pattern: 'ICC-header:*',
    reason: 'only when the source profile cannot be reproduced (CMYK, LUT): output is sRGB',
    only: 'profile-replaced',
  },
  {
    pattern: 'ICC_Profile:*',
    reason: 'only when the source profile cannot be reproduced (CMYK, LUT): output is sRGB',
    only: 'profile-replaced',
  },
  {
    pattern: 'ICC-*',
    reason: 'only when the source profile cannot be reproduced (CMYK, LUT): output is sRGB',
    only: 'profile-replaced',
  },
];

/**
 * Tags the output may have although the source did not: ExifTool writes the tags the EXIF, GPS
 * and IPTC specifications make mandatory whenever it creates a directory the source lacked or
 * had incomplete. Their values are the specifications' defaults and describe nothing new.
 */
export const ADDED_TAGS: readonly ChangingTag[] = [
  { pattern: 'IFD0:XResolution', reason: 'mandatory in IFD0 (default 72)' },
  { pattern: 'IFD0:YResolution', reason: 'mandatory in IFD0 (default 72)' },
  { pattern: 'IFD0:ResolutionUnit', reason: 'mandatory in IFD0 (default inches)' },
  { pattern: 'IFD0:YCbCrPositioning', reason: 'mandatory in IFD0 of a YCbCr JPEG (default centered)' },
  { pattern: 'ExifIFD:ExifVersion', reason: 'mandatory in the EXIF IFD' },
  { pattern: 'ExifIFD:ComponentsConfiguration', reason: 'mandatory in the EXIF IFD (Y, Cb, Cr)' },
  {
    pattern: 'ExifIFD:ColorSpace',
    reason: 'mandatory in the EXIF IFD (uncalibrated: the ICC profile rules)',
  },
  { pattern: 'GPS:GPSVersionID', reason: 'mandatory in the GPS IFD' },
  { pattern: 'IPTC:EnvelopeRecordVersion', reason: 'mandatory IPTC envelope record' },
  { pattern: 'IPTC:ApplicationRecordVersion', reason: 'mandatory IPTC application record' },
];

function toRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}
const COMPILED = CHANGING_TAGS.map((t) => ({ ...t, re: toRegExp(t.pattern) }));

/** The entry explaining why `tag` ("Group1:Name") may change, or undefined if it must not. */
export function changingTag(tag: string): ChangingTag | undefined {
  return COMPILED.find((t) => t.re.test(tag));
}

const COMPILED_ADDED = ADDED_TAGS.map((t) => ({ ...t, re: toRegExp(t.pattern) }));

/** The entry explaining why the output may have `tag` when the source has not, or undefined. */
export function addedTag(tag: string): ChangingTag | undefined {
  return COMPILED_ADDED.find((t) => t.re.test(tag)) ?? changingTag(tag);
}
