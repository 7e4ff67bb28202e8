/**
 * Freeing typed arrays now rather than at the next garbage collection. A large photo's tiles and
 * bands pass through each thread faster than V8 collects them (it waits for tens of MB of new
 * external memory per thread), so dead buffers piled up to a few hundred MB across the main
 * thread and the workers. Detaching a buffer (ES2024 `transfer(0)`) frees its memory at once.
 */
type Transferable = ArrayBuffer & { readonly detached?: boolean; transfer?(length: number): ArrayBuffer };

/**
 * Frees each array's memory. Only for arrays that own their whole buffer and that nothing reads
 * any more; others (views into a larger buffer, shared memory, already freed) are left alone.
 */
export function release(...arrays: readonly (ArrayBufferView | null | undefined)[]): void {
  for (const a of arrays) {
    if (!a) continue;
    const b = a.buffer as Transferable;
    if (!(b instanceof ArrayBuffer) || b.detached || typeof b.transfer !== 'function') continue;
    if (a.byteOffset !== 0 || a.byteLength !== b.byteLength) continue;
    b.transfer(0);
  }
}
