/** The random kernel: the Philox stream of kernels.ts, via the shared reference in ../philox.ts. */
import type { DType, RandomParams, TypedArray } from '../kernels.js';
import { philoxFill } from '../philox.js';

export function randomKernel(out: TypedArray, _dtype: DType, p: RandomParams): void {
  const { dist, seedLo, seedHi, offset, a, b } = p;
  philoxFill(out, dist, seedLo, seedHi, offset, a, b);
}
