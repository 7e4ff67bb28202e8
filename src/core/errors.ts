/**
 * The one place durn defines its error types.
 *
 * - `DurnUserError`: the user can fix it (bad input file, wrong option, missing weights). Carries a
 *   `hint` saying how, and is printed without a stack trace.
 * - `DurnBugError`: an invariant inside durn broke. Printed with a stack and a request to report it.
 *
 * Messages follow sharp's style: "Expected X for Y but received Z".
 */

export type DurnErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_INPUT'
  | 'UNSUPPORTED_FORMAT'
  | 'IMAGE_TOO_LARGE'
  | 'WEIGHTS_MISSING'
  | 'WEIGHTS_MISMATCH'
  | 'CHECKPOINT_INVALID'
  | 'CHECKPOINT_UNSAFE'
  | 'BACKEND_UNAVAILABLE'
  | 'DEVICE_UNAVAILABLE'
  | 'OUTPUT_EXISTS'
  | 'IO'
  | 'ABORTED';

export class DurnUserError extends Error {
  override readonly name = 'DurnUserError';
  readonly code: DurnErrorCode;
  readonly hint: string | undefined;
  /** The file the error is about, when there is one. */
  readonly file: string | undefined;

  constructor(
    code: DurnErrorCode,
    message: string,
    options: { hint?: string; file?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.file = options.file;
  }
}

export class DurnBugError extends Error {
  override readonly name = 'DurnBugError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(
      `${message} (this is a bug in durn; please report it)`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
  }
}

/** "Expected X for Y but received Z", the wording sharp uses for invalid parameters. */
export function expected(what: string, forWhat: string, received: unknown): string {
  return `Expected ${what} for ${forWhat} but received ${describe(received)}`;
}

/** A received value in plain words: `"x"`, `3`, `nothing`, `a Buffer of 12 bytes`, `3 of type number`, `an object with keys a, b`. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  // sharp's wording for scalars: "150 of type number".
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${String(value)} of type ${typeof value}`;
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  if (value instanceof Date) return `the date ${value.toISOString()}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.byteLength} bytes`;
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const keys = Object.keys(value as object);
    return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.join(', ')}`;
  }
  return `a ${(value as object).constructor?.name ?? 'value'}`;
}

/** Throws a DurnBugError when an internal invariant does not hold. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DurnBugError(message);
}

export function isUserError(err: unknown): err is DurnUserError {
  return err instanceof DurnUserError;
}

/** One line for a report: the file (if any), the message and the hint. */
export function formatError(err: unknown, opts: { file?: boolean; hint?: boolean } = {}): string {
  if (err instanceof DurnUserError) {
    const where = opts.file !== false && err.file && !err.message.includes(err.file) ? `${err.file}: ` : '';
    return `${where}${err.message}${opts.hint !== false && err.hint ? `\n  hint: ${err.hint}` : ''}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A file-system error in words, for "but received …": `a path that does not exist`, not `ENOENT`. */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'a path that does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'a path you are not allowed to use (permission denied)';
    case 'EISDIR':
      return 'a folder';
    case 'ENOTDIR':
      return 'a path under a file, not a folder';
    case 'EEXIST':
      return 'a path that already exists';
    case 'ENOSPC':
      return 'a full disk';
    case 'EROFS':
      return 'a read-only file system';
    default:
      return `an error (${code ?? (err instanceof Error ? err.message : String(err))})`;
  }
}
