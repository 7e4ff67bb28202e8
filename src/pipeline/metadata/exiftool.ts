/**
 * The one ExifTool process durn shares (perl start-up costs ~0.3 s, so one long-lived process
 * serves every read and write). Created lazily; ended by closeMetadata() or at process exit.
 */
import { ExifTool } from 'exiftool-vendored';

let instance: ExifTool | null = null;
let exitHookInstalled = false;

export function getExifTool(): ExifTool {
  if (instance && !instance.ended) return instance;
  // One process: durn serialises metadata work per file, and a single perl VM keeps memory low.
  // useMWG off, for every write: exiftool-vendored passes `-use MWG` by default, and once loaded the
  // module stays loaded in the stay-open perl process. Its composite tags make a -tagsFromFile copy
  // sync EXIF, IPTC and XMP with one another instead of copying each as it is (an IPTC "©" became
  // EXIF's "(C)", a 32-byte IPTC By-line became the longer XMP dc:creator, IPTC dates appeared).
  instance = new ExifTool({ maxProcs: 1, taskTimeoutMillis: 60_000, useMWG: false });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // 'beforeExit' lets the graceful end run; exiftool-vendored also kills its child on 'exit'.
    process.once('beforeExit', () => void closeMetadata());
  }
  return instance;
}

/** Ends the shared ExifTool process; safe to call many times. Tests call it so vitest can exit. */
export async function closeMetadata(): Promise<void> {
  const et = instance;
  instance = null;
  if (et && !et.ended) await et.end();
}

let holders = 0;

/**
 * Marks the shared process as in use by a restorer or a run; the returned release ends it when
 * the last user lets go, so no ExifTool child outlives `close()`.
 */
export function holdMetadata(): () => Promise<void> {
  holders += 1;
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    holders -= 1;
    if (holders === 0) await closeMetadata();
  };
}

/** True while the shared ExifTool process is running (tests check nothing outlives close()). */
export function isMetadataOpen(): boolean {
  return instance !== null && !instance.ended;
}
