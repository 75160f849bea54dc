/**
 * Data-movement kernels: permute, broadcastTo, slice and its adjoint sliceWrite, concat, gather and its
 * adjoint scatterAdd. Each validates its geometry up front so that no index can leave its array.
 */
import type { Shape, TypedArray } from '../kernels.js';
import { broadcastStrides, checkShape, checkSize, contiguousStrides, sizeOf, walkRows } from './shape.js';

/** Dense copy of a strided view: out[dense j...] = x[base + Σ j_d·strides_d]. */
function gatherStrided(x: TypedArray, shape: Shape, strides: readonly number[], base: number, out: TypedArray): void {
  const last = shape.length - 1;
  const step = last >= 0 ? strides[last]! : 0;
  walkRows(shape, [strides], [base], (o, len, [p]) => {
    let q = p!;
    for (let j = 0; j < len; j++, q += step) out[o + j] = x[q]!;
  });
}

/** The checks of a permute (shape, size, perm); returns the output shape and the input strides it reads through. */
export function permuteView(size: number, shape: Shape, perm: readonly number[]): { outShape: number[]; strides: number[] } {
  checkShape(shape, 'permute', 'x');
  checkSize(size, sizeOf(shape), 'permute', `x (shape [${shape.join(',')}])`);
  const rank = shape.length;
  const seen = new Array<boolean>(rank).fill(false);
  if (perm.length !== rank) throw new Error(`permute: perm [${perm.join(',')}] has length ${perm.length}, x has rank ${rank}`);
  for (const p of perm) {
    if (!Number.isInteger(p) || p < 0 || p >= rank || seen[p]) throw new Error(`permute: [${perm.join(',')}] is not a permutation of 0..${rank - 1}`);
    seen[p] = true;
  }
  const inStrides = contiguousStrides(shape);
  return { outShape: perm.map((p) => shape[p]!), strides: perm.map((p) => inStrides[p]!) };
}

export function permuteKernel(x: TypedArray, shape: Shape, perm: readonly number[], out: TypedArray): void {
  const { outShape, strides } = permuteView(x.length, shape, perm);
  gatherStrided(x, outShape, strides, 0, out);
}

export function broadcastToKernel(x: TypedArray, inShape: Shape, outShape: Shape, out: TypedArray): void {
  checkShape(outShape, 'broadcastTo', 'output');
  checkSize(x.length, sizeOf(inShape), 'broadcastTo', `x (shape [${inShape.join(',')}])`);
  gatherStrided(x, outShape, broadcastStrides(inShape, outShape, 'broadcastTo', 'x'), 0, out);
}

/**
 * Strides and base offset of the view "begin + j·step" into a dense array of fullShape, validated so that the
 * last selected index along every non-empty axis is inside the axis. Shared with the native backend's checks.
 */
export function sliceView(
  kernel: string, fullShape: Shape, begin: readonly number[], step: readonly number[], viewShape: Shape,
): { strides: number[]; base: number } {
  const rank = fullShape.length;
  if (begin.length !== rank || step.length !== rank || viewShape.length !== rank) {
    throw new Error(`${kernel}: rank mismatch (shape ${rank}, begin ${begin.length}, step ${step.length}, slice shape ${viewShape.length})`);
  }
  checkShape(fullShape, kernel, 'full shape');
  checkShape(viewShape, kernel, 'slice shape');
  const dense = contiguousStrides(fullShape);
  let base = 0;
  const strides = new Array<number>(rank);
  const empty = sizeOf(viewShape) === 0;
  for (let d = 0; d < rank; d++) {
    const b = begin[d]!, s = step[d]!, n = viewShape[d]!;
    if (!Number.isInteger(s) || s < 1) throw new Error(`${kernel}: step ${s} on axis ${d} must be an integer >= 1`);
    if (!Number.isInteger(b) || b < 0) throw new Error(`${kernel}: begin ${b} on axis ${d} must be a non-negative integer`);
    if (!empty && b + (n - 1) * s >= fullShape[d]!) {
      throw new Error(`${kernel}: axis ${d} selects up to index ${b + (n - 1) * s}, beyond its size ${fullShape[d]}`);
    }
    base += b * dense[d]!;
    strides[d] = s * dense[d]!;
  }
  return { strides, base: empty ? 0 : base };
}

export function sliceKernel(
  x: TypedArray, shape: Shape, begin: readonly number[], step: readonly number[], outShape: Shape, out: TypedArray,
): void {
  checkSize(x.length, sizeOf(shape), 'slice', `x (shape [${shape.join(',')}])`);
  const { strides, base } = sliceView('slice', shape, begin, step, outShape);
  gatherStrided(x, outShape, strides, base, out);
}

/** out (zeros of fullShape, already zero-filled by the caller) receives src at begin + j·step. */
export function sliceWriteKernel(
  src: TypedArray, srcShape: Shape, fullShape: Shape, begin: readonly number[], step: readonly number[], out: TypedArray,
): void {
  checkSize(src.length, sizeOf(srcShape), 'sliceWrite', `src (shape [${srcShape.join(',')}])`);
  const { strides, base } = sliceView('sliceWrite', fullShape, begin, step, srcShape);
  const last = srcShape.length - 1;
  const stride = last >= 0 ? strides[last]! : 0;
  walkRows(srcShape, [strides], [base], (o, len, [p]) => {
    let q = p!;
    for (let j = 0; j < len; j++, q += stride) out[q] = src[o + j]!;
  });
}

export function concatKernel(xs: readonly TypedArray[], outer: number, widths: readonly number[], out: TypedArray): void {
  if (xs.length !== widths.length) throw new Error(`concat: ${xs.length} inputs but ${widths.length} widths`);
  let total = 0;
  for (let t = 0; t < xs.length; t++) {
    checkSize(xs[t]!.length, outer * widths[t]!, 'concat', `input ${t} (outer ${outer} × width ${widths[t]})`);
    total += widths[t]!;
  }
  let column = 0;
  for (let t = 0; t < xs.length; t++) {
    const x = xs[t]!, w = widths[t]!;
    for (let o = 0; o < outer; o++) out.set(x.subarray(o * w, (o + 1) * w), o * total + column);
    column += w;
  }
}

/** Every index in [0, n): checked before a gather/scatter reads or writes through it. */
export function checkIndices(kernel: string, indices: Int32Array, n: number): void {
  for (let j = 0; j < indices.length; j++) {
    const ix = indices[j]!;
    if (ix < 0 || ix >= n) throw new Error(`${kernel}: index ${ix} (at position ${j}) out of range [0, ${n})`);
  }
}

/** x [outer, n, inner] → out [outer, m, inner] with out[o, j, :] = x[o, indices[j], :]. */
export function gatherKernel(x: TypedArray, indices: Int32Array, outer: number, n: number, inner: number, out: TypedArray): void {
  checkSize(x.length, outer * n * inner, 'gather', `x (outer ${outer} × n ${n} × inner ${inner})`);
  checkIndices('gather', indices, n);
  const m = indices.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const from = (o * n + indices[j]!) * inner;
      const to = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[to + i] = x[from + i]!;
    }
  }
}

/** src [outer, m, inner] added into out [outer, n, inner] (zero-filled by the caller) at rows indices[j]. */
export function scatterAddKernel(
  src: TypedArray, indices: Int32Array, outer: number, n: number, inner: number, out: TypedArray, integer: boolean,
): void {
  const m = indices.length;
  checkSize(src.length, outer * m * inner, 'scatterAdd', `src (outer ${outer} × m ${m} × inner ${inner})`);
  checkIndices('scatterAdd', indices, n);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const to = (o * n + indices[j]!) * inner;
      const from = (o * m + j) * inner;
      if (integer) for (let i = 0; i < inner; i++) out[to + i] = (out[to + i]! + src[from + i]!) | 0;
      else for (let i = 0; i < inner; i++) out[to + i] = out[to + i]! + src[from + i]!;
    }
  }
}
