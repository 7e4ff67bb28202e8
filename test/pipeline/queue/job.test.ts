/** The pure parts of distributed mode: queue URLs, path maps, job ids. */
import { describe, expect, it } from 'vitest';
import { parseQueueUrl } from '../../../src/pipeline/queue/connection.ts';
import { isInside, jobIdOf, mapPath } from '../../../src/pipeline/queue/job.ts';

describe('queue URLs', () => {
  it('accepts redis:// and rediss:// with user, password and database, and never shows the password', () => {
    expect(parseQueueUrl('redis://localhost:6379').redacted).toBe('redis://localhost:6379');
    const tls = parseQueueUrl('rediss://studio:s3cret@queue.example:6380/2');
    expect(tls.url).toBe('rediss://studio:s3cret@queue.example:6380/2');
    expect(tls.redacted).toBe('rediss://studio:***@queue.example:6380/2');
    expect(parseQueueUrl('redis://:only-password@10.0.0.5').redacted).toBe('redis://:***@10.0.0.5');
  });

  it('refuses other schemes, a missing URL and a bad database, saying what it expected', () => {
    expect(() => parseQueueUrl('http://localhost:6379')).toThrow(
      /Expected redis:\/\/ or rediss:\/\/ for --queue/,
    );
    expect(() => parseQueueUrl(undefined)).toThrow(/Expected a Redis URL for --queue but received nothing/);
    expect(() => parseQueueUrl('redis://host/db1')).toThrow(/Expected a database number/);
    expect(() => parseQueueUrl('redis://u:secret@')).toThrow(/Expected a Redis URL/);
    expect(() => parseQueueUrl('not a url :secret@x')).toThrow('received "not a url :***@x"');
  });
});

describe('path maps', () => {
  const maps = [
    { from: '/mnt/nas', to: '/Volumes/nas' },
    { from: '/mnt/nas/photos', to: '/data/photos' },
  ];
  it('rewrites the longest matching prefix at folder boundaries only', () => {
    expect(mapPath('/mnt/nas/a.jpg', maps)).toBe('/Volumes/nas/a.jpg');
    expect(mapPath('/mnt/nas/photos/b.jpg', maps)).toBe('/data/photos/b.jpg');
    expect(mapPath('/mnt/nasty/c.jpg', maps)).toBe('/mnt/nasty/c.jpg');
    expect(mapPath('/mnt/nas', maps)).toBe('/Volumes/nas');
  });
  it('knows inside from beside', () => {
    expect(isInside('/out/a/b.png', '/out')).toBe(true);
    expect(isInside('/outside/b.png', '/out')).toBe(false);
    expect(isInside('/x', '/')).toBe(true);
  });
});

describe('job ids', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  it('depend on content × chain only, and are valid BullMQ ids', () => {
    expect(jobIdOf(a, b)).toBe(jobIdOf(a, b));
    expect(jobIdOf(a, b)).not.toBe(jobIdOf(b, a));
    expect(jobIdOf(a, b)).toMatch(/^r[0-9a-f]{40}$/);
    expect(() => jobIdOf('nope', b)).toThrow(/SHA-256/);
  });
});
