/** Numeric comparison with per-op tolerances and a message that points at the worst element. */
import { expect } from 'vitest';

export interface Tolerance {
  atol: number;
  rtol: number;
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  what: string,
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1,
    worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i],
      e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (e === a) continue; // covers matching infinities
    const excess = Math.abs(a - e) - (tol.atol + tol.rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(atol ${tol.atol}, rtol ${tol.rtol}; ${expected.length} elements)`,
    );
  }
}

/**
 * The suite's one "close enough": |actual − expected| ≤ atol + rtol·|expected| elementwise, NaN matching NaN and
 * infinities matching exactly (assertClose with positional tolerances, for the kernel tests).
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol = rtol,
  what = 'values',
): void {
  assertClose(actual, expected, { rtol, atol }, what);
}
