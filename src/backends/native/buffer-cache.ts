/**
 * A cache of disposed typed arrays, by dtype and length, that later allocations of the same shape reuse. Fresh
 * large typed arrays cost page faults on first touch plus zeroing and, later, GC work; in a training loop the
 * same shapes are allocated and disposed every step, so reusing them removes that cost (the idea of PyTorch's
 * caching allocator). Only arrays of at least MIN_ELEMENTS are cached, up to MAX_BYTES in total.
 */
import type { DType, TypedArray } from '../kernels.js';
import { allocate } from '../js/storage.js';

const MIN_ELEMENTS = 4096;
const MAX_BYTES = 256 * 1024 * 1024;

export class BufferCache {
  #free = new Map<string, TypedArray[]>();
  #bytes = 0;

  /** Bytes currently held for reuse. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A typed array of the dtype and size: a cached one (contents arbitrary) or a fresh zeroed one. */
  take(dtype: DType, size: number): { data: TypedArray; zeroed: boolean } {
    if (size >= MIN_ELEMENTS) {
      const list = this.#free.get(`${dtype}:${size}`);
      const data = list?.pop();
      if (data) {
        this.#bytes -= data.byteLength;
        return { data, zeroed: false };
      }
    }
    return { data: allocate(dtype, size), zeroed: true };
  }

  /** Keeps a no-longer-referenced array for reuse (dropped when too small or the cache is full). */
  give(dtype: DType, data: TypedArray): void {
    if (data.length < MIN_ELEMENTS || this.#bytes + data.byteLength > MAX_BYTES) return;
    const key = `${dtype}:${data.length}`;
    const list = this.#free.get(key);
    if (list) list.push(data);
    else this.#free.set(key, [data]);
    this.#bytes += data.byteLength;
  }

  clear(): void {
    this.#free.clear();
    this.#bytes = 0;
  }
}
