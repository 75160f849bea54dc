/**
 * Argument checks every backend runs before a kernel, with one wording: a bad call throws a clear Error naming the
 * kernel and the values, and never reaches native code or a GPU dispatch.
 */
import type { MixtureParams } from './kernels.js';

export function checkCount(kernel: string, what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${kernel}: ${what} = ${v} must be a non-negative integer`);
}

export interface MatmulGeometry { batch: number; m: number; k: number; n: number; aBatchStride: number; bBatchStride: number }

/** Sizes, batch strides and bias length of a matmul against the element counts of its operands. */
export function checkMatmul(aSize: number, bSize: number, g: MatmulGeometry, biasSize: number | null): void {
  const { batch, m, k, n, aBatchStride, bBatchStride } = g;
  for (const [name, v] of Object.entries({ batch, m, k, n, aBatchStride, bBatchStride })) checkCount('matmul', name, v);
  if (batch < 1) throw new Error(`matmul: batch = ${batch} must be >= 1`);
  const aNeeded = m * k === 0 ? 0 : (batch - 1) * aBatchStride + m * k;
  const bNeeded = k * n === 0 ? 0 : (batch - 1) * bBatchStride + k * n;
  if (aSize < aNeeded) throw new Error(`matmul: a has ${aSize} elements, the batch geometry reads ${aNeeded}`);
  if (bSize < bNeeded) throw new Error(`matmul: b has ${bSize} elements, the batch geometry reads ${bNeeded}`);
  if (biasSize !== null && biasSize !== n) throw new Error(`matmul: bias has ${biasSize} elements, expected n = ${n}`);
}

/** Validates MixtureParams (every backend's gatedMixture kernels): counts are non-negative integers, T ≥ 1. */
export function checkMixtureParams(kernel: string, p: MixtureParams): void {
  for (const what of ['e', 'b', 'd', 't'] as const) checkCount(kernel, what, p[what]);
  if (p.t < 1) throw new Error(`${kernel}: t = ${p.t} gate sets, expected at least 1`);
  if (p.layout !== 'EBD' && p.layout !== 'BED') throw new Error(`${kernel}: layout '${String(p.layout)}' must be 'EBD' or 'BED'`);
  if (p.activation !== 'none' && p.activation !== 'relu') throw new Error(`${kernel}: activation '${String(p.activation)}' must be 'none' or 'relu'`);
}
