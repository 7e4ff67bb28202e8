/** release(): frees arrays that own their buffer, leaves views and shared memory alone. */
import { expect, it } from 'vitest';
import { release } from '../../src/core/memory.ts';

it('detaches a spent array that owns its whole buffer, once', () => {
  const a = new Float32Array(1000);
  release(a, a, null, undefined);
  expect(a.length).toBe(0);
  expect(a.buffer.byteLength).toBe(0);
});

it('leaves views into a larger buffer and shared memory untouched', () => {
  const whole = new Float32Array(100).fill(1);
  const view = whole.subarray(10, 20);
  const shared = new Float32Array(new SharedArrayBuffer(400));
  release(view, shared);
  expect(whole.length).toBe(100);
  expect(view.length).toBe(10);
  expect(shared.length).toBe(100);
});
