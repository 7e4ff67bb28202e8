/**
 * The queue's address: `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). Checked
 * here so a typo is a user error, not a hanging connection; the password never appears in
 * messages (`redacted`).
 */
import { DurnUserError } from '../../core/errors.ts';

export interface QueueAddress {
  /** The URL as given, for ioredis (which reads user, password, db and TLS from it). */
  readonly url: string;
  /** The URL with any password replaced by `***`, for messages and logs. */
  readonly redacted: string;
}

export function parseQueueUrl(value: string | undefined): QueueAddress {
  const hint = 'e.g. --queue redis://localhost:6379, rediss://user:password@host:6380/2, or set DURN_QUEUE';
  if (!value)
    throw new DurnUserError('INVALID_OPTION', 'Expected a Redis URL for --queue but received nothing', {
      hint,
    });
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected a Redis URL for --queue but received ${JSON.stringify(redact(value))}`,
      { hint },
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected redis:// or rediss:// for --queue but received ${JSON.stringify(`${u.protocol}//…`)}`,
      { hint },
    );
  }
  if (!u.hostname)
    throw new DurnUserError('INVALID_OPTION', 'Expected a host in the --queue URL but received none', {
      hint,
    });
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) {
    throw new DurnUserError(
      'INVALID_OPTION',
      `Expected a database number after the host in --queue but received ${JSON.stringify(db)}`,
      { hint },
    );
  }
  return { url: value, redacted: redact(value) };
}

function redact(value: string): string {
  // Whatever sits between the user's ':' and '@' is a password, even in a URL that does not parse.
  return value.replace(/:[^@/\s:]*@/g, ':***@');
}

/**
 * ioredis options for BullMQ: retry forever (a Redis restart is a pause, not a failure) and never
 * fail a command for want of a connection (BullMQ's workers require it).
 */
export function connectionOptions(a: QueueAddress): {
  url: string;
  maxRetriesPerRequest: null;
  retryStrategy: (times: number) => number;
} {
  return { url: a.url, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(200 * times, 2000) };
}
