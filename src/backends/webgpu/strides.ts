/**
 * Dimension merging for the strided kernels; the views themselves (strides, offsets) come from
 * ../strided-view.ts, shared by every backend.
 */
import type { Shape } from '../kernels.js';
import { WEBGPU_MAX_RANK } from '../strided-view.js';

export const MAX_RANK = WEBGPU_MAX_RANK;

export { sizeOf, contiguousStrides } from '../strided-view.js';

/**
 * Drops size-1 dimensions and merges neighbours that are contiguous for every operand (stride[i] equal to
 * stride[i+1]·shape[i+1] in each stride set), so most strided kernels run with rank 1–3 and any rank that
 * collapses to MAX_RANK or less is supported.
 */
export function coalesce(shape: Shape, strideSets: readonly number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strideSets.every((s, k) => outStrides[k]![last] === s[d]! * size)) {
      outShape[last]! *= size;
      strideSets.forEach((s, k) => {
        outStrides[k]![last] = s[d]!;
      });
    } else {
      outShape.push(size);
      strideSets.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  if (outShape.length > MAX_RANK) {
    throw new Error(
      `webgpu: strided kernels support up to ${MAX_RANK} non-mergeable dimensions, got shape [${shape.join(',')}]`,
    );
  }
  return { shape: outShape, strides: outStrides };
}
