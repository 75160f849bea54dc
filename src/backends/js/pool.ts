/**
 * A pool of large typed arrays, keyed by dtype and exact length. Why: on these machines the first touch of fresh
 * memory costs ~11 µs per 4 KiB page (0.37 GB/s), so an 8 MiB activation allocated anew every training step costs
 * ~22 ms in page faults alone, more than the arithmetic that fills it. Training steps allocate the same sizes step
 * after step, so disposed buffers are kept and handed out again (zero-filled, which runs at memory bandwidth).
 *
 * Pooling from 4 KiB rather than 64 KiB also takes the gate-sized [1024, 8] arrays of an MMoE step off the
 * ArrayBuffer allocator (measured ~0.6 ms per step). Arrays under 4 KiB are pooled too, in lists indexed by length
 * (no string key to build): a fresh small typed array costs a malloc, an ArrayBuffer and GC work, about a third of
 * an 8×8 eager op. At most SMALL_PER_LENGTH of each small length are kept. The pool holds at most `capBytes`
 * (MTGRAD_POOL_MB, default 512 MiB); beyond that disposed arrays are simply dropped for the GC.
 */
import type { DType, TypedArray } from '../kernels.js';
import { readEnv } from '../../platform/env.js';

const MIN_POOLED_BYTES = 4 * 1024;
/** Kept arrays per small length: enough for the temporaries of a step's small ops, bounded whatever the loop. */
const SMALL_PER_LENGTH = 64;
const DTYPE_SLOT: Record<DType, number> = { float32: 0, float64: 1, int32: 2 };

export class ArrayPool {
  private readonly free = new Map<string, TypedArray[]>();
  /** Small arrays: per dtype slot, per length. */
  private readonly small: TypedArray[][][] = [[], [], []];
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
    const list =
      size * (dtype === 'float64' ? 8 : 4) < MIN_POOLED_BYTES
        ? this.small[DTYPE_SLOT[dtype]]![size]
        : this.free.get(`${dtype}:${size}`);
    const arr = list?.pop();
    if (!arr) return null;
    this.pooledBytes -= arr.byteLength;
    return arr;
  }

  /** Offers a no-longer-used array for reuse. */
  give(dtype: DType, arr: TypedArray): void {
    if (this.pooledBytes + arr.byteLength > this.capBytes) return;
    // Only whole buffers: a view into a larger ArrayBuffer would keep (and later alias) memory it does not own.
    if (arr.byteOffset !== 0 || arr.buffer.byteLength !== arr.byteLength) return;
    if (arr.byteLength < MIN_POOLED_BYTES) {
      const lists = this.small[DTYPE_SLOT[dtype]]!;
      let list = lists[arr.length];
      if (!list) {
        list = [];
        lists[arr.length] = list;
      }
      if (list.length >= SMALL_PER_LENGTH) return;
      list.push(arr);
      this.pooledBytes += arr.byteLength;
      return;
    }
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
    for (const lists of this.small) lists.length = 0;
    this.pooledBytes = 0;
  }
}
