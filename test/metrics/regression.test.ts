import { describe, expect, it } from 'vitest';
import { mae, rmse } from '../../src/metrics/regression.js';

describe('rmse and mae', () => {
  it('match hand-computed values', () => {
    const targets = new Float32Array([3, 4, 5, 1]);
    const predictions = new Float32Array([2.5, 4, 6, 3]);
    expect(rmse(targets, predictions)).toBeCloseTo(Math.sqrt((0.25 + 0 + 1 + 4) / 4), 12);
    expect(mae(targets, predictions)).toBeCloseTo((0.5 + 0 + 1 + 2) / 4, 12);
  });

  it('respect the mask', () => {
    expect(rmse([1, 2, 3], [1, 5, 3], [1, 0, 1])).toBe(0);
    expect(mae([1, 2, 3], [1, 5, 3], [0, 1, 0])).toBe(3);
    expect(mae([1], [2], [0])).toBeNaN();
  });

  it('reject NaN in the selected samples', () => {
    expect(() => rmse([1, Number.NaN], [1, 2])).toThrow(/targets\[1\] is NaN/);
    expect(rmse([1, Number.NaN], [1, 2], [1, 0])).toBe(0);
  });
});
