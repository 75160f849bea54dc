/**
 * Standardisation statistics of a numeric column, fitted on the training split only (fitting on validation or
 * test data would leak their distribution into the model). Accumulated with Welford's algorithm in float64,
 * which is exact enough for 10^8 rows and does not depend on seeing all values at once.
 */

export interface NumericStatsJSON {
  count: number;
  mean: number;
  std: number;
}

export class RunningMoments {
  count = 0;
  private mean = 0;
  private m2 = 0;

  add(value: number): void {
    this.count++;
    const delta = value - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (value - this.mean);
  }

  /** Population standard deviation; a constant (or empty) column gets std 1 so standardising never divides by 0. */
  finish(): NumericStatsJSON {
    if (this.count === 0) return { count: 0, mean: 0, std: 1 };
    const std = Math.sqrt(this.m2 / this.count);
    return { count: this.count, mean: this.mean, std: std > 1e-12 ? std : 1 };
  }
}
