/**
 * The five data-movement kernels (permute, broadcastTo, slice, sliceWrite, concat) are strided copies on every
 * backend: out[dense j...] = x[offset + Σ j_d·strides_d] (sliceWrite and concat write through the view instead).
 * This module computes those views once for all three backends. It does not validate: src/backends/checks.ts does,
 * before any backend runs (see checked.ts), so every view here stays inside its array.
 *
 * Rank limits of the strided kernels (checked once, in checks.ts, against the backend's `maxStridedRank`):
 * the js reference walks any rank; the native addon takes up to 32 axes; WebGPU up to 8 after merging
 * contiguous axes (webgpu/strides.ts coalesce).
 */
import type { Shape } from './kernels.js';
import { contiguousStrides, sizeOf } from './shape.js';

export { contiguousStrides, sizeOf };

/** Where each element of a view of `shape` lives in a flat array. */
export interface StridedView {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** The native addon's largest strided rank (native/src: MAX_RANK). */
export const NATIVE_MAX_RANK = 32;
/** WebGPU's largest strided rank after coalescing (the stride arrays in the WGSL params blocks). */
export const WEBGPU_MAX_RANK = 8;

export function denseView(shape: Shape): StridedView {
  return { shape: [...shape], strides: contiguousStrides(shape), offset: 0 };
}

/**
 * Strides for reading a dense array of inShape (same rank as outShape, each axis equal or 1) at outShape's
 * coordinates: 0 along broadcast axes and along size-1 axes.
 */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const dense = contiguousStrides(inShape);
  return inShape.map((d, i) => (d === 1 || outShape[i] === 0 ? 0 : dense[i]!));
}

export function broadcastView(inShape: Shape, outShape: Shape): StridedView {
  return { shape: [...outShape], strides: broadcastStrides(inShape, outShape), offset: 0 };
}

/** The view of a dense array of `shape` whose axis j is the input's axis perm[j]. */
export function permuteView(shape: Shape, perm: readonly number[]): StridedView {
  const dense = contiguousStrides(shape);
  return { shape: perm.map((p) => shape[p]!), strides: perm.map((p) => dense[p]!), offset: 0 };
}

/** The view begin + j·step (per axis) of viewShape into a dense array of fullShape. */
export function sliceView(
  fullShape: Shape,
  begin: readonly number[],
  step: readonly number[],
  viewShape: Shape,
): StridedView {
  const dense = contiguousStrides(fullShape);
  const empty = sizeOf(viewShape) === 0;
  return {
    shape: [...viewShape],
    strides: dense.map((s, d) => s * step[d]!),
    offset: empty ? 0 : begin.reduce((acc, b, d) => acc + b * dense[d]!, 0),
  };
}

/** Where input i of a concat of [outer, widths[i]] pieces lands in the [outer, Σ widths] output. */
export function concatViews(outer: number, widths: readonly number[]): StridedView[] {
  const total = widths.reduce((a, w) => a + w, 0);
  let column = 0;
  return widths.map((w) => {
    const view = { shape: [outer, w], strides: [total, 1], offset: column };
    column += w;
    return view;
  });
}
