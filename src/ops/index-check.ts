/**
 * Index and label range checks that every backend makes the same way. The js and native kernels check indices as
 * they read them; WebGPU cannot read a buffer back synchronously and a shader cannot throw, so the op layer checks
 * int32 tensors whose values the host knows: uploaded from host data (remembered here at upload) or readable
 * synchronously. The message is the same on every backend.
 */
import type { Backend, Storage, TypedArray } from '../backends/kernels.js';
import { engine } from '../tensor/engine.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Host copies of data uploaded to backends without synchronous readback (WebGPU), by storage: every int32 upload
 * (indices, labels) and float uploads up to a batch's size (masks), not weights.
 */
const hostCopies = new WeakMap<Storage, ArrayLike<number>>();
const MAX_FLOAT_COPY = 1 << 16;

/** Each backend's syncReadback, asked once: info() is not free (the native addon describes the CPU per call). */
const syncOf = new WeakMap<Backend, boolean>();
function syncReadback(s: Storage): boolean {
  const be = engine.backendOf(s);
  let sync = syncOf.get(be);
  if (sync === undefined) {
    sync = be.info().syncReadback;
    syncOf.set(be, sync);
  }
  return sync;
}

/** Remembers the values of an upload, for checks made at the op; `shared`: the caller may still change `data`. */
export function rememberHost(s: Storage, data: TypedArray, shared: boolean): void {
  if (s.dtype !== 'int32' && data.length > MAX_FLOAT_COPY) return;
  if (syncReadback(s)) return;
  hostCopies.set(s, shared ? data.slice() : data);
}

/** The values of a tensor when the host can know them without waiting on a device; else undefined. */
export function knownValues(t: Tensor): ArrayLike<number> | undefined {
  if (syncReadback(t.storage)) return t.dataSync();
  return hostCopies.get(t.storage);
}

/** gather/Embedding: every index in [0, n), with the js kernel's message. */
export function checkIndexRange(op: string, indices: Tensor, n: number): void {
  if (syncReadback(indices.storage)) return; // the kernel checks as it reads
  const ix = hostCopies.get(indices.storage);
  if (!ix) return;
  for (let j = 0; j < ix.length; j++) {
    const v = ix[j]!;
    if (v < 0 || v >= n) throw new Error(`${op}: index ${v} (at position ${j}) out of range [0, ${n})`);
  }
}
