import { describe, expect, it } from 'vitest';
import { accuracy, logLoss } from '../../src/metrics/classification.js';

describe('logLoss', () => {
  it('matches hand-computed values', () => {
    const expected = -(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3;
    expect(logLoss([1, 0, 1], new Float32Array([0.9, 0.2, 0.4]))).toBeCloseTo(expected, 6);
  });

  it('clips probabilities so confident mistakes stay finite', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-7), 9);
    expect(logLoss([0], [1], { eps: 1e-3 })).toBeCloseTo(-Math.log(1e-3), 9);
  });

  it('respects the mask and accepts soft labels', () => {
    expect(logLoss([1, 0], [0.5, 0.999999], { mask: [1, 0] })).toBeCloseTo(Math.log(2), 12);
    expect(logLoss([0.5], [0.5])).toBeCloseTo(Math.log(2), 12);
    expect(logLoss([1], [0.5], { mask: [0] })).toBeNaN();
  });

  it('rejects NaN probabilities and labels outside [0, 1]', () => {
    expect(() => logLoss([1], [Number.NaN])).toThrow(/NaN/);
    expect(() => logLoss([2], [0.5])).toThrow(/labels\[0\]/);
  });
});

describe('accuracy', () => {
  it('thresholds scores at 0.5 by default and at a given threshold otherwise', () => {
    expect(accuracy([1, 0, 1, 0], [0.7, 0.2, 0.4, 0.5])).toBe(0.5);
    expect(accuracy([1, 0, 1, 0], [2, -1, 0.1, -0.1], { threshold: 0 })).toBe(1);
  });

  it('respects the mask', () => {
    expect(accuracy([1, 0, 1], [0.9, 0.9, 0.1], { mask: new Uint8Array([1, 0, 0]) })).toBe(1);
  });
});
