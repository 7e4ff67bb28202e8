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

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null || typeof value === 'number' || typeof value === 'boolean') {
    return `${String(value)} of type ${value === null ? 'null' : typeof value}`;
  }
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return Object.prototype.toString.call(value);
}

/** Throws a DurnBugError when an internal invariant does not hold. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DurnBugError(message);
}

export function isUserError(err: unknown): err is DurnUserError {
  return err instanceof DurnUserError;
}

/** One line for a report: the file (if any), the message and the hint. */
export function formatError(err: unknown): string {
  if (err instanceof DurnUserError) {
    const where = err.file && !err.message.includes(err.file) ? `${err.file}: ` : '';
    return `${where}${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}
