/**
 * erf and erfc in double precision (relative error ~1e-15), written for the reference backend where float64
 * results feed finite-difference gradient checks, so a 1e-7 textbook approximation would not do.
 *  - |x| < 2: erf(x) = (2/√π)·e^(−x²)·Σ (2x²)ⁿ·x / (1·3·…·(2n+1)). All terms are positive, so unlike the plain
 *    Taylor series there is no cancellation; it needs at most ~30 terms here.
 *  - |x| >= 2: erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …)))), the Laplace continued fraction,
 *    evaluated bottom-up with a fixed depth that converges to full precision for x >= 2.
 * e^(−x²) is computed with x² split exactly (Dekker) since the rounding of x² would otherwise be amplified by x².
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const SQRT_PI = 1.7724538509055159;
const CONTINUED_FRACTION_DEPTH = 80;
/** erfc(x) underflows to 0 beyond this (erfc(27) ≈ 5e-319). */
const ERFC_ZERO_BEYOND = 27;
const SERIES_LIMIT = 2;

/** e^(−x²) with the square carried in two doubles (Veltkamp split of x). */
function expNegSquare(x: number): number {
  const c = 134217729 * x; // 2^27 + 1
  const hi = c - (c - x);
  const lo = x - hi;
  const sq = x * x;
  const sqError = hi * hi - sq + 2 * hi * lo + lo * lo;
  return Math.exp(-sq) * (1 - sqError);
}

/** erf for 0 <= x < SERIES_LIMIT. */
function erfSeries(x: number): number {
  const twoXSquared = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= twoXSquared / (2 * n + 1);
    sum += term;
    if (term <= sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * expNegSquare(x) * sum;
}

/** erfc for x >= SERIES_LIMIT. */
function erfcContinuedFraction(x: number): number {
  if (x > ERFC_ZERO_BEYOND) return 0;
  let f = x;
  for (let n = CONTINUED_FRACTION_DEPTH; n >= 1; n--) f = x + n / 2 / f;
  return expNegSquare(x) / (SQRT_PI * f);
}

export function erf(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  const r = ax < SERIES_LIMIT ? erfSeries(ax) : 1 - erfcContinuedFraction(ax);
  return x < 0 ? -r : r;
}

/** 1 − erf(x), accurate in relative terms for x >= 2 (where 1 − erf(x) would cancel). */
export function erfc(x: number): number {
  if (x !== x) return x;
  if (x >= SERIES_LIMIT) return erfcContinuedFraction(x);
  if (x <= -SERIES_LIMIT) return 2 - erfcContinuedFraction(-x);
  return 1 - (x < 0 ? -erfSeries(-x) : erfSeries(x));
}
