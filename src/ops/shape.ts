/** Shape and data-movement ops: views (reshape), copies (permute, slice, concat) and indexing (gather). */
import { record, recordMulti } from '../autograd/record.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, checkShape, fmt, normAxis, padShape, shapesEqual, sizeOf } from '../tensor/shape.js';
import { assertDtype, backendOf, wrap } from './util.js';
import { zeros } from './creation.js';
import { checkIndexRange } from './index-check.js';
import { opScope } from '../tensor/scope.js';

/** Same data, new shape (one dimension may be -1). Shares storage: no copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const op = 'reshape';
  x.assertLive(op);
  const s = [...shape];
  const unknown = s.indexOf(-1);
  if (unknown >= 0) {
    if (s.indexOf(-1, unknown + 1) >= 0) throw new Error(`${op}: only one dimension can be -1, got ${fmt(shape)}`);
    const known = sizeOf(s.filter((_, i) => i !== unknown));
    if (known === 0 || x.size % known !== 0)
      throw new Error(`${op}: cannot infer -1 in ${fmt(shape)} for ${x.size} elements (input ${fmt(x.shape)})`);
    s[unknown] = x.size / known;
  }
  checkShape(op, s);
  if (sizeOf(s) !== x.size)
    throw new Error(
      `${op}: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)} (${sizeOf(s)} elements)`,
    );
  if (shapesEqual(s, x.shape)) return x;
  const y = new Tensor(x.storage, s, x.dtype).shareVersionWith(x);
  return record(op, [x], y, (g) => [reshape(g, x.shape)]);
}

export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const a = normAxis('flatten', startAxis, x.ndim);
  const b = normAxis('flatten', endAxis, x.ndim);
  if (a > b) throw new Error(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis}`);
  return reshape(x, [...x.shape.slice(0, a), sizeOf(x.shape.slice(a, b + 1)), ...x.shape.slice(b + 1)]);
}

/** Reorders axes: out.shape[j] = x.shape[perm[j]]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const op = 'permute';
  const be = backendOf(op, x);
  if (
    perm.length !== x.ndim ||
    [...perm]
      .map((p) => normAxis(op, p, x.ndim))
      .sort((a, b) => a - b)
      .some((p, i) => p !== i)
  ) {
    throw new Error(`${op}: ${JSON.stringify(perm)} is not a permutation of the ${x.ndim} axes of ${fmt(x.shape)}`);
  }
  const p = perm.map((a) => normAxis(op, a, x.ndim));
  if (p.every((a, i) => a === i)) return x;
  const y = wrap(
    be.permute(x.storage, x.shape, p),
    p.map((a) => x.shape[a]),
  );
  const inv = p.map((_, i) => p.indexOf(i));
  return record(op, [x], y, (g) => [permute(g, inv)]);
}

/** Swaps two axes (default: the last two). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const a = normAxis('transpose', axis0, x.ndim);
  const b = normAxis('transpose', axis1, x.ndim);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcasts x to `shape` (NumPy rules; the result is a copy). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const op = 'broadcastTo';
  const be = backendOf(op, x);
  const target = checkShape(op, shape);
  const out = broadcastShapes(op, x.shape, target);
  if (!shapesEqual(out, target)) throw new Error(`${op}: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
  if (shapesEqual(x.shape, target)) return x;
  const y = wrap(be.broadcastTo(x.storage, padShape(x.shape, target.length), target), target);
  return record(op, [x], y, (g) => [g]); // the tape sums g back to x's shape
}

/** Like broadcastTo, with -1 meaning "keep this size" (torch.expand). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.ndim;
  return broadcastTo(
    x,
    shape.map((d, i) => (d === -1 ? x.shape[i - lead] : d)),
  );
}

export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  const axes =
    axis === undefined
      ? x.shape.map((_, i) => i).filter((i) => x.shape[i] === 1)
      : (typeof axis === 'number' ? [axis] : [...axis]).map((a) => normAxis('squeeze', a, x.ndim));
  for (const a of axes)
    if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} of ${fmt(x.shape)} has size ${x.shape[a]}, not 1`);
  return reshape(
    x,
    x.shape.filter((_, i) => !axes.includes(i)),
  );
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.ndim + 1);
  const s = [...x.shape];
  s.splice(a, 0, 1);
  return reshape(x, s);
}

/** [start, end, step] of one axis; negative start/end count from the end; omitted parts mean the whole axis. */
export type SliceRange = readonly [start?: number, end?: number, step?: number] | number | null | undefined;

/**
 * Slices per axis: `slice(x, [[1, 5], null, [0, -1, 2]])`; a number selects [i, i+1) and keeps the axis.
 * Out-of-range bounds are an error (nothing is silently clipped).
 */
export function slice(x: Tensor, ranges: readonly SliceRange[]): Tensor {
  const op = 'slice';
  const be = backendOf(op, x);
  if (ranges.length > x.ndim)
    throw new Error(`${op}: ${ranges.length} ranges for a tensor of rank ${x.ndim} ${fmt(x.shape)}`);
  const begin: number[] = [],
    step: number[] = [],
    outShape: number[] = [];
  x.shape.forEach((d, i) => {
    const r = ranges[i];
    const [s0, e0, st = 1] = r === null || r === undefined ? [] : typeof r === 'number' ? [r, r === -1 ? d : r + 1] : r;
    if (!Number.isInteger(st) || st < 1)
      throw new Error(`${op}: step on axis ${i} must be a positive integer, got ${st}`);
    const s = s0 === undefined ? 0 : s0 < 0 ? s0 + d : s0;
    const e = e0 === undefined ? d : e0 < 0 ? e0 + d : e0;
    if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || s > d || e < s || e > d) {
      throw new Error(
        `${op}: range [${s0 ?? ''}:${e0 ?? ''}:${st}] is out of bounds for axis ${i} of size ${d} (shape ${fmt(x.shape)})`,
      );
    }
    begin.push(s);
    step.push(st);
    outShape.push(Math.ceil((e - s) / st));
  });
  if (shapesEqual(outShape, x.shape)) return x;
  const y = wrap(be.slice(x.storage, x.shape, begin, step, outShape), outShape);
  return record(op, [x], y, (g) => [wrap(be.sliceWrite(g.storage, g.shape, x.shape, begin, step), x.shape)]);
}

/** Concatenates along an existing axis; every other dimension must match. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  const op = 'concat';
  if (xs.length === 0) throw new Error(`${op}: needs at least one tensor`);
  const be = backendOf(op, ...xs);
  const first = xs[0];
  const a = normAxis(op, axis, first.ndim);
  for (const [i, t] of xs.entries()) {
    if (t.dtype !== first.dtype) throw new Error(`${op}: tensor ${i} is ${t.dtype}, tensor 0 is ${first.dtype}`);
    if (t.ndim !== first.ndim || t.shape.some((d, j) => j !== a && d !== first.shape[j])) {
      throw new Error(
        `${op}: tensor ${i} has shape ${fmt(t.shape)}, incompatible with ${fmt(first.shape)} along axis ${a} (all other sizes must match)`,
      );
    }
  }
  if (xs.length === 1) return first;
  const outer = sizeOf(first.shape.slice(0, a));
  const inner = sizeOf(first.shape.slice(a + 1));
  const outShape = [...first.shape];
  outShape[a] = xs.reduce((n, t) => n + t.shape[a], 0);
  const y = wrap(
    be.concat(
      xs.map((t) => t.storage),
      outer,
      xs.map((t) => t.shape[a] * inner),
    ),
    outShape,
  );
  return record(op, xs, y, (g) => {
    let start = 0;
    return xs.map((t) => {
      const r: SliceRange[] = g.shape.map(() => null);
      r[a] = [start, start + t.shape[a]];
      start += t.shape[a];
      return t.requiresGrad ? slice(g, r) : null;
    });
  });
}

export const stack = opScope(function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  const a = normAxis('stack', axis, xs[0].ndim + 1);
  for (const [i, t] of xs.entries()) {
    if (!shapesEqual(t.shape, xs[0].shape))
      throw new Error(`stack: tensor ${i} has shape ${fmt(t.shape)}, tensor 0 has ${fmt(xs[0].shape)}`);
  }
  return concat(
    xs.map((t) => unsqueeze(t, a)),
    a,
  );
});

/**
 * Splits along an axis into pieces of the given sizes, or into `n` equal pieces when a number is given. One node
 * for all the pieces: the backward is a single concat of their gradients (zeros for pieces no gradient reached).
 */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const op = 'split';
  const be = backendOf(op, x);
  const a = normAxis(op, axis, x.ndim);
  const d = x.shape[a];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 1 || d % sizes !== 0)
      throw new Error(`${op}: axis ${a} of size ${d} does not split into ${sizes} equal parts`);
    parts = new Array<number>(sizes).fill(d / sizes);
  } else parts = [...sizes];
  if (parts.some((p) => !Number.isInteger(p) || p < 0) || parts.reduce((s, p) => s + p, 0) !== d) {
    throw new Error(
      `${op}: sizes ${JSON.stringify(parts)} must be non-negative integers summing to ${d} (axis ${a} of ${fmt(x.shape)})`,
    );
  }
  if (parts.length === 1) return [reshape(x, x.shape)];
  let start = 0;
  const pieces = parts.map((p) => {
    const begin = x.shape.map(() => 0),
      shape = [...x.shape];
    begin[a] = start;
    shape[a] = p;
    start += p;
    return wrap(
      be.slice(
        x.storage,
        x.shape,
        begin,
        x.shape.map(() => 1),
        shape,
      ),
      shape,
    );
  });
  recordMulti(op, [x], pieces, (gs) => {
    const full = gs.map((g, i) => g ?? zeros(pieces[i]!.shape, { backend: x.backendName, dtype: x.dtype }));
    return [concat(full, a)];
  });
  return pieces;
}

/**
 * Takes entries along `axis` at int32 `indices` of any shape (NumPy take / embedding lookup): the result has shape
 * x.shape[:axis] + indices.shape + x.shape[axis+1:]. The gradient scatter-adds into the looked-up rows only.
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const op = 'gather';
  const be = backendOf(op, x, indices);
  assertDtype(op, indices, 'int32', 'indices');
  const a = normAxis(op, axis, x.ndim);
  const outer = sizeOf(x.shape.slice(0, a));
  const n = x.shape[a];
  const inner = sizeOf(x.shape.slice(a + 1));
  const outShape = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  checkIndexRange(op, indices, n);
  const y = wrap(be.gather(x.storage, indices.storage, outer, n, inner), outShape);
  return record(op, [x], y, (g) => [wrap(be.scatterAdd(g.storage, indices.storage, outer, n, inner), x.shape)], [
    indices,
  ]);
}

/** gather with a 1-D index (torch.index_select). */
export function indexSelect(x: Tensor, axis: number, index: Tensor): Tensor {
  if (index.ndim !== 1) throw new Error(`indexSelect: index must be 1-D, got shape ${fmt(index.shape)}`);
  return gather(x, index, axis);
}
