/**
 * One way to validate options and files: zod schemas, with zod's issues turned into durn's
 * sharp-style messages, e.g.
 *   Expected a number between 16 and 4096 for tile but received "big" (presets/night-shot.yaml, steps[1].options.tile)
 *
 * Every issue message is the "X" of "Expected X for Y but received Z": schemas built with the
 * helpers below carry their own X (schema-level errors win over the parse-level map in zod 4);
 * other issues get a generic X from `expectation`.
 */
import { z } from 'zod';
import { DurnUserError, describe } from './errors.ts';

type Path = readonly PropertyKey[];

/** `a number between 0 and 1` as one message for type and range, so users see both bounds at once. */
export function numberBetween(min: number, max: number, opts: { integer?: boolean } = {}) {
  const error = `${opts.integer ? 'an integer' : 'a number'} between ${min} and ${max}`;
  const base = z.number({ error });
  return (opts.integer ? base.int({ error }) : base).min(min, { error }).max(max, { error });
}

/** Parses `value` or throws a DurnUserError (INVALID_OPTION) naming the file and the path inside it. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  source?: string,
  basePath: Path = [],
): z.output<S> {
  const result = schema.safeParse(value, { error: (iss) => expectation(iss as unknown as ZodIssueLike) });
  if (result.success) return result.data;
  const lines = result.error.issues.map((iss) => formatIssue(schema, value, iss, what, source, basePath));
  const [first, ...rest] = lines;
  const message = rest.length === 0 ? first! : `${first}\n  ${rest.join('\n  ')}`;
  return throwInvalid(message, source);
}

function throwInvalid(message: string, source: string | undefined): never {
  throw new DurnUserError('INVALID_OPTION', message, source === undefined ? {} : { file: source });
}

/** `steps[1].options.tile` */
export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

interface ZodIssueLike {
  code: string;
  path?: PropertyKey[];
  message?: string;
  expected?: string;
  values?: readonly unknown[];
  keys?: readonly string[];
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  format?: string;
  pattern?: string;
}

const ARTICLE_TYPES: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  undefined: 'nothing',
};

/** The "X" of "Expected X …" for an issue whose schema did not provide its own wording. */
function expectation(iss: ZodIssueLike): string {
  switch (iss.code) {
    case 'invalid_type':
      return ARTICLE_TYPES[iss.expected ?? ''] ?? `a value of type ${iss.expected}`;
    case 'invalid_value':
      return `one of ${(iss.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
    case 'too_big': {
      const small = iss.code === 'too_small';
      const bound = small ? iss.minimum : iss.maximum;
      const cmp = small
        ? iss.inclusive
          ? 'at least'
          : 'more than'
        : iss.inclusive
          ? 'at most'
          : 'less than';
      if (iss.origin === 'string') return `a string of ${cmp} ${bound} characters`;
      if (iss.origin === 'array' || iss.origin === 'set') return `a list of ${cmp} ${bound} items`;
      return `a number ${cmp} ${bound}`;
    }
    case 'invalid_format':
      return iss.pattern ? `a string matching ${iss.pattern}` : `a valid ${iss.format ?? 'string'}`;
    case 'not_multiple_of':
      return 'a multiple of the required step';
    case 'invalid_union':
      return 'one of the accepted forms';
    default:
      return iss.message ?? 'a valid value';
  }
}

function formatIssue(
  schema: z.ZodType,
  root: unknown,
  issue: z.core.$ZodIssue,
  what: string,
  source: string | undefined,
  basePath: Path,
): string {
  const iss = issue as unknown as ZodIssueLike;
  const local = (iss.path ?? []) as PropertyKey[];
  if (iss.code === 'unrecognized_keys') {
    const keys = iss.keys ?? [];
    const allowed = objectKeysAt(schema, local);
    const full = [...basePath, ...local];
    const name = full.length === 0 ? what : formatPath(full);
    const hint = allowed.length > 0 ? `; known: ${allowed.join(', ')}` : '; it takes none';
    return (
      `Unknown ${keys.length === 1 ? 'key' : 'keys'} ${keys.map((k) => JSON.stringify(k)).join(', ')} ` +
      `in ${name}${hint}${location(source, [], what)}`
    );
  }
  const full = [...basePath, ...local];
  const leaf = leafName(full) ?? what;
  const received = valueAt(root, local);
  return `Expected ${iss.message} for ${leaf} but received ${describe(received)}${location(source, full, what)}`;
}

/** The last key, with any array index after it: `tile`, `steps[1]`. */
function leafName(path: Path): string | undefined {
  let i = path.length - 1;
  while (i >= 0 && typeof path[i] === 'number') i--;
  if (i < 0) return path.length > 0 ? formatPath(path) : undefined;
  return formatPath(path.slice(i));
}

function location(source: string | undefined, full: Path, what: string): string {
  const parts = [
    source ?? (full.length > 0 ? what : undefined),
    full.length > 1 || source ? formatPath(full) : '',
  ];
  const shown = parts.filter((p): p is string => Boolean(p));
  return shown.length > 0 ? ` (${shown.join(', ')})` : '';
}

function valueAt(root: unknown, path: Path): unknown {
  let v: unknown = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Keys an object schema accepts at `path` (best effort, for "known: …" in unknown-key messages). */
function objectKeysAt(schema: z.ZodType, path: Path): string[] {
  let s: unknown = schema;
  const unwrap = (x: unknown): unknown => {
    while (
      x instanceof z.ZodOptional ||
      x instanceof z.ZodDefault ||
      x instanceof z.ZodNullable ||
      x instanceof z.ZodPrefault
    ) {
      x = x.unwrap();
    }
    return x;
  };
  for (const key of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject && typeof key === 'string') s = s.shape[key];
    else if (s instanceof z.ZodArray && typeof key === 'number') s = s.element;
    else return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}
