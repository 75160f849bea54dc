/** Dense row-major shape arithmetic shared by every backend and by the engine above them. */
import type { MixtureParams, Shape } from './kernels.js';

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a dense array of this shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** Validates MixtureParams (every backend's gatedMixture kernels): counts are non-negative integers, T ≥ 1. */
export function checkMixtureParams(kernel: string, p: MixtureParams): void {
  for (const what of ['e', 'b', 'd', 't'] as const) {
    const v = p[what];
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${kernel}: ${what} = ${v} must be a non-negative integer`);
  }
  if (p.t < 1) throw new Error(`${kernel}: t = ${p.t} gate sets, expected at least 1`);
  if (p.layout !== 'EBD' && p.layout !== 'BED') throw new Error(`${kernel}: layout '${String(p.layout)}' must be 'EBD' or 'BED'`);
  if (p.activation !== 'none' && p.activation !== 'relu') throw new Error(`${kernel}: activation '${String(p.activation)}' must be 'none' or 'relu'`);
}
