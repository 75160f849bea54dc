/**
 * Storage of the js backend: a dense typed array tagged with the backend that made it. The native backend
 * subclasses JsBackend and shares this storage, so the backend name is per instance, not per class.
 */
import type { DType, Storage, TypedArray } from '../kernels.js';

export class JsStorage implements Storage {
  readonly backend: string;
  readonly dtype: DType;
  #data: TypedArray | null;

  /** Over a caller's array (Backend.borrow): disposing it must not recycle the array into the pool. */
  readonly borrowed: boolean;

  constructor(backend: string, dtype: DType, data: TypedArray, borrowed = false) {
    this.backend = backend;
    this.dtype = dtype;
    this.#data = data;
    this.borrowed = borrowed;
  }

  /** The elements. Throws once disposed, so a use-after-dispose fails loudly instead of reading stale data. */
  get data(): TypedArray {
    if (this.#data === null) throw new Error(`${this.backend}: storage already disposed`);
    return this.#data;
  }

  get size(): number {
    return this.#data === null ? 0 : this.#data.length;
  }

  get disposed(): boolean {
    return this.#data === null;
  }

  /** Drops the buffer and hands it back (for the backend's memory accounting and buffer pool). */
  release(): TypedArray {
    if (this.#data === null) throw new Error(`${this.backend}: storage already disposed`);
    const data = this.#data;
    this.#data = null;
    return data;
  }
}

/** A zero-filled typed array of the dtype's element type. */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    default:
      throw new Error(`unknown dtype '${String(dtype)}'`);
  }
}

/** The dtype a typed array stores. */
export function dtypeOfArray(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  throw new Error(`not a Float32Array, Float64Array or Int32Array: ${Object.prototype.toString.call(data)}`);
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64';
}
