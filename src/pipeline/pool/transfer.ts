/**
 * Moving tile buffers between threads without copying: piscina transfers the ArrayBuffers an
 * object names under `transferableSymbol` and delivers the `valueSymbol` value. The sender must
 * own the buffer outright (it is detached on its side).
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';

export function moveWith<T extends object>(value: T, buffers: readonly ArrayBufferLike[]): T {
  const wrapped = {
    get [transferableSymbol]() {
      return buffers;
    },
    get [valueSymbol]() {
      return value;
    },
  };
  return move(wrapped as never) as unknown as T;
}
