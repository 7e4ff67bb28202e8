/**
 * When to draw the UI. Kept free of React and ink so plain and JSON runs can decide without
 * loading them.
 */

type Env = Readonly<Record<string, string | undefined>>;

/** CI as the usual tools read it: set and not "false"/"0". */
export function isCi(env: Env = process.env): boolean {
  return Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0';
}

/**
 * Whether `durn restore` / `durn watch` draw a dashboard: only on a terminal, never for --json, CI,
 * or TERM=dumb. Everything else (pipes, logs) gets the plain or JSON output and no ink at all.
 */
export function shouldUseTui(o: {
  json?: boolean;
  stdout: { isTTY?: boolean };
  stdin?: { isTTY?: boolean };
  env?: Env;
}): boolean {
  const env = o.env ?? process.env;
  if (o.json || o.stdout.isTTY !== true) return false;
  if (o.stdin && o.stdin.isTTY !== true) return false;
  if (env.TERM === 'dumb') return false;
  return !isCi(env);
}

/**
 * `durn` alone means `durn tui` where a dashboard would be drawn; elsewhere (pipes, CI) it prints
 * the help as before. An explicit `durn tui` on a terminal is drawn even under CI: it was asked for.
 */
export function withDefaultCommand(
  argv: readonly string[],
  io: { stdout: { isTTY?: boolean }; stdin: { isTTY?: boolean }; env?: Env } = process,
): string[] {
  return argv.length <= 2 && shouldUseTui(io) ? [...argv, 'tui'] : [...argv];
}
