/**
 * The adjoint of broadcasting, applied by the tape to every gradient an op returns: an op's backward may hand back
 * its gradient at the broadcast (output) shape, and the tape sums it down to the input's shape — leading axes, and
 * axes where the input has size 1 — as tinygrad's gradient pass does. So no op carries its own un-broadcast step.
 */
import { Tensor } from '../tensor/tensor.js';
import { engine } from '../tensor/engine.js';
import { fmt, padShape, shapesEqual, sizeOf } from '../tensor/shape.js';

/**
 * g summed to `shape`, with raw kernels (the tape runs with recording off). Returns g itself when the shapes already
 * agree; throws when g's shape is not `shape` broadcast (an op's gradient of the wrong shape is a bug in the op).
 */
export function sumToInputShape(op: string, input: number, g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const padded = g.ndim >= shape.length ? padShape(shape, g.ndim) : null;
  if (!padded || padded.some((d, i) => d !== g.shape[i] && d !== 1)) {
    throw new Error(
      `internal: gradient of '${op}' for input ${input} has shape ${fmt(g.shape)}, expected ${fmt(shape)} or a shape it broadcasts to`,
    );
  }
  const be = engine.backendOf(g.storage);
  const cur = [...g.shape];
  let storage = g.storage;
  // Reduce each run of adjacent summed axes with one [outer, n, inner] kernel call.
  for (let i = 0; i < cur.length; i++) {
    if (padded[i] !== 1 || cur[i] === 1) continue;
    let j = i;
    while (j + 1 < cur.length && padded[j + 1] === 1 && cur[j + 1] !== 1) j++;
    const next = be.reduce(
      'sum',
      storage,
      sizeOf(cur.slice(0, i)),
      sizeOf(cur.slice(i, j + 1)),
      sizeOf(cur.slice(j + 1)),
    );
    if (storage !== g.storage) be.dispose(storage);
    storage = next;
    for (let k = i; k <= j; k++) cur[k] = 1;
    i = j;
  }
  return new Tensor(storage, shape, g.dtype);
}
