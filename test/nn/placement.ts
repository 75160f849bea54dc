/**
 * Per-backend placement for the layer / MTL / model tests that run on every available backend: float64 with tight
 * tolerances on js (the reference), float32 with looser ones elsewhere. Values are read with `await t.data()`
 * outside tidy (webgpu has no synchronous readback).
 */
import type { Tensor } from '../../src/index.js';
import { assertClose } from '../conformance/compare.js';

export interface Placement {
  backend: string;
  dtype: 'float32' | 'float64';
  /** Relative tolerance for values computed in `dtype`. */
  tol: number;
}

export function placementFor(backend: string): Placement {
  return backend === 'js' ? { backend, dtype: 'float64', tol: 1e-10 } : { backend, dtype: 'float32', tol: 2e-5 };
}

/** Elementwise |a − b| ≤ tol·(1 + |b|): the shared tolerance check with atol = rtol = tol. */
export function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what = ''): void {
  assertClose(a, b, { atol: tol, rtol: tol }, what);
}

/** The values of a tensor as a plain array (async readback: works on every backend). */
export async function values(t: Tensor): Promise<number[]> {
  return Array.from(await t.data());
}
