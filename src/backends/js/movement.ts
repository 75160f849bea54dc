/**
 * Data-movement kernels: permute, broadcastTo, slice and its adjoint sliceWrite, concat (strided copies through the
 * views of ../strided-view.ts), gather and its adjoint scatterAdd. Geometry is validated before dispatch
 * (../checks.ts); the index ranges, which need the data, are checked here.
 */
import type { Shape, TypedArray } from '../kernels.js';
import { broadcastView, concatViews, permuteView, sliceView, type StridedView } from '../strided-view.js';
import { walkRows } from './shape.js';

/** A strided copy: out[dense j...] = x[view j...] (read), or its adjoint out[view j...] = x[dense j...] (write). */
function copyView(x: TypedArray, view: StridedView, out: TypedArray, write: boolean): void {
  const last = view.shape.length - 1;
  const step = last >= 0 ? view.strides[last]! : 0;
  walkRows(view.shape, [view.strides], [view.offset], (o, len, [p]) => {
    let q = p!;
    if (write) for (let j = 0; j < len; j++, q += step) out[q] = x[o + j]!;
    else for (let j = 0; j < len; j++, q += step) out[o + j] = x[q]!;
  });
}

export function permuteKernel(x: TypedArray, shape: Shape, perm: readonly number[], out: TypedArray): void {
  copyView(x, permuteView(shape, perm), out, false);
}

export function broadcastToKernel(x: TypedArray, inShape: Shape, outShape: Shape, out: TypedArray): void {
  copyView(x, broadcastView(inShape, outShape), out, false);
}

export function sliceKernel(
  x: TypedArray,
  shape: Shape,
  begin: readonly number[],
  step: readonly number[],
  outShape: Shape,
  out: TypedArray,
): void {
  copyView(x, sliceView(shape, begin, step, outShape), out, false);
}

/** out (zeros of fullShape, already zero-filled by the caller) receives src at begin + j·step. */
export function sliceWriteKernel(
  src: TypedArray,
  srcShape: Shape,
  fullShape: Shape,
  begin: readonly number[],
  step: readonly number[],
  out: TypedArray,
): void {
  copyView(src, sliceView(fullShape, begin, step, srcShape), out, true);
}

export function concatKernel(
  xs: readonly TypedArray[],
  outer: number,
  widths: readonly number[],
  out: TypedArray,
): void {
  concatViews(outer, widths).forEach((view, t) => copyView(xs[t]!, view, out, true));
}

/** Every index in [0, n): checked before a gather/scatter reads or writes through it. */
export function checkIndices(kernel: string, indices: Int32Array, n: number): void {
  for (let j = 0; j < indices.length; j++) {
    const ix = indices[j]!;
    if (ix < 0 || ix >= n) throw new Error(`${kernel}: index ${ix} (at position ${j}) out of range [0, ${n})`);
  }
}

/** x [outer, n, inner] → out [outer, m, inner] with out[o, j, :] = x[o, indices[j], :]. */
export function gatherKernel(
  x: TypedArray,
  indices: Int32Array,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): void {
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
  src: TypedArray,
  indices: Int32Array,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  integer: boolean,
): void {
  const m = indices.length;
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
