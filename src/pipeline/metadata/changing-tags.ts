/**
 * Tags (ExifTool "Group1:Name", `*` = any) that legitimately differ between a source photo and its
 * restored copy, each with the reason. Everything else must survive copyMetadata unchanged; the
 * metadata tests enforce that on real camera files.
 */
export interface ChangingTag {
  readonly pattern: string;
  readonly reason: string;
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
  },
  {
    pattern: 'ICC_Profile:*',
    reason: 'only when the source profile cannot be reproduced (CMYK, LUT): output is sRGB',
  },
  {
    pattern: 'ICC-*',
    reason: 'only when the source profile cannot be reproduced (CMYK, LUT): output is sRGB',
  },
];

function toRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}
const COMPILED = CHANGING_TAGS.map((t) => ({ ...t, re: toRegExp(t.pattern) }));

/** The entry explaining why `tag` ("Group1:Name") may change, or undefined if it must not. */
export function changingTag(tag: string): ChangingTag | undefined {
  return COMPILED.find((t) => t.re.test(tag));
}
