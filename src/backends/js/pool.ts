/**
 * A pool of large typed arrays, keyed by dtype and exact length. Why: on these machines the first touch of fresh
 * memory costs ~11 µs per 4 KiB page (0.37 GB/s), so an 8 MiB activation allocated anew every training step costs
 * ~22 ms in page faults alone, more than the arithmetic that fills it. Training steps allocate the same sizes step
 * after step, so disposed buffers are kept and handed out again (zero-filled, which runs at memory bandwidth).
 *
 * Arrays under 4 KiB are left to V8 and malloc (pooling from 4 KiB rather than 64 KiB also takes the gate-sized
 * [1024, 8] arrays of an MMoE step off the ArrayBuffer allocator: measured ~0.6 ms per step). The pool holds at
 * most `capBytes` (MTGRAD_POOL_MB, default 512 MiB); beyond that disposed arrays are simply dropped for the GC.
 */
import type { DType, TypedArray } from '../kernels.js';
import { readEnv } from '../../platform/env.js';

const MIN_POOLED_BYTES = 4 * 1024;

export class ArrayPool {
  private readonly free = new Map<string, TypedArray[]>();
  private pooledBytes = 0;

  constructor(private readonly capBytes = Number(readEnv('MTGRAD_POOL_MB') ?? 512) * 1024 * 1024) {}

  /** A pooled, zero-filled array of this dtype and length, or null when none is free. */
  take(dtype: DType, size: number): TypedArray | null {
    const arr = this.takeUninitialized(dtype, size);
    if (arr) arr.fill(0);
    return arr;
  }

  /**
   * A pooled array of this dtype and length holding whatever its last user left in it, or null when none is
   * free. Only for callers that overwrite every element before anyone reads it (saves the fill pass, which for
   * the 8 MiB activations of a training step is a full memory-bandwidth sweep each).
   */
  takeUninitialized(dtype: DType, size: number): TypedArray | null {
    if (size * (dtype === 'float64' ? 8 : 4) < MIN_POOLED_BYTES) return null; // never pooled: skip the lookup
    const list = this.free.get(`${dtype}:${size}`);
    const arr = list?.pop();
    if (!arr) return null;
    this.pooledBytes -= arr.byteLength;
    return arr;
  }

  /** Offers a no-longer-used array for reuse. */
  give(dtype: DType, arr: TypedArray): void {
    if (arr.byteLength < MIN_POOLED_BYTES || this.pooledBytes + arr.byteLength > this.capBytes) return;
    // Only whole buffers: a view into a larger ArrayBuffer would keep (and later alias) memory it does not own.
    if (arr.byteOffset !== 0 || arr.buffer.byteLength !== arr.byteLength) return;
    const key = `${dtype}:${arr.length}`;
    let list = this.free.get(key);
    if (!list) {
      list = [];
      this.free.set(key, list);
    }
    list.push(arr);
    this.pooledBytes += arr.byteLength;
  }

  get bytes(): number {
    return this.pooledBytes;
  }

  clear(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }
}
