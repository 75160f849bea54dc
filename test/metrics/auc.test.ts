import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../src/metrics/auc.js';
import { SeededRandom } from '../../src/data/random.js';

/** O(n²) reference: the fraction of (positive, negative) pairs ranked correctly, ties counting one half. */
function pairCountingAuc(labels: ArrayLike<number>, scores: ArrayLike<number>, mask?: ArrayLike<number>): number {
  let correct = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    if (mask && !mask[i]) continue;
    if (labels[i] !== 1) continue;
    for (let j = 0; j < labels.length; j++) {
      if (mask && !mask[j]) continue;
      if (labels[j] !== 0) continue;
      pairs++;
      if (scores[i] > scores[j]) correct += 1;
      else if (scores[i] === scores[j]) correct += 0.5;
    }
  }
  return correct / pairs;
}

describe('rocAuc', () => {
  it('matches hand-computed values', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    expect(rocAuc([0, 1], [0.2, 0.9])).toBe(1);
    expect(rocAuc([1, 0], [0.2, 0.9])).toBe(0);
    // one tie between a positive and a negative counts one half: pairs (p1,n1)=1, (p1,n2)=0.5 → 0.75
    expect(rocAuc(new Float32Array([1, 0, 0]), new Float32Array([0.5, 0.1, 0.5]))).toBeCloseTo(0.75, 12);
    // all scores tied → 0.5
    expect(rocAuc([1, 0, 1, 0, 0], [3, 3, 3, 3, 3])).toBe(0.5);
  });

  it('equals O(n²) pair counting on random data with many ties, with and without a mask', () => {
    const rng = new SeededRandom(11);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + rng.nextInt(300);
      const labels = new Float32Array(n);
      const scores = new Float32Array(n);
      const mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        labels[i] = rng.nextFloat() < 0.3 ? 1 : 0;
        scores[i] = rng.nextInt(8) / 8 + labels[i] * 0.1; // coarse grid → ties
        mask[i] = rng.nextFloat() < 0.7 ? 1 : 0;
      }
      expect(rocAuc(labels, scores)).toBeCloseTo(pairCountingAuc(labels, scores), 12);
      expect(rocAuc(labels, scores, mask)).toBeCloseTo(pairCountingAuc(labels, scores, mask), 12);
    }
  });

  it('handles infinite scores (e.g. logits that overflowed) like any other ordered values', () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(rocAuc([1, 0, 1, 0, 0], [inf, -inf, inf, 0, inf])).toBeCloseTo(
      pairCountingAuc([1, 0, 1, 0, 0], [inf, -inf, inf, 0, inf]),
      12,
    );
  });

  it('is invariant to monotone transforms of the scores', () => {
    const labels = [0, 1, 1, 0, 1, 0, 0, 1];
    const scores = [-2, 0.5, 3, 0.1, -0.3, -1, 0.5, 2];
    const probabilities = scores.map((s) => 1 / (1 + Math.exp(-s)));
    expect(rocAuc(labels, probabilities)).toBeCloseTo(rocAuc(labels, scores), 14);
  });

  it('returns NaN when only one class is selected', () => {
    expect(rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toBeNaN();
    expect(rocAuc([1, 0, 1], [0.1, 0.2, 0.3], [1, 0, 1])).toBeNaN();
    expect(rocAuc([], [])).toBeNaN();
  });

  it('rejects NaN scores, non-binary labels and length mismatches', () => {
    expect(() => rocAuc([0, 1], [0.1, Number.NaN])).toThrow(/scores\[1\] is NaN/);
    expect(() => rocAuc([0, 2], [0.1, 0.2])).toThrow(/labels\[1\] = 2/);
    expect(() => rocAuc([0, 1], [0.1])).toThrow(/length/);
    // a NaN under a zero mask is ignored, since that sample is not part of the task
    expect(rocAuc([0, 1, 1], [0.1, 0.9, Number.NaN], [1, 1, 0])).toBe(1);
  });

  it('handles 200k samples quickly', () => {
    const rng = new SeededRandom(5);
    const n = 200_000;
    const labels = new Float32Array(n);
    const scores = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = rng.nextFloat() < 0.1 ? 1 : 0;
      scores[i] = rng.normal() + labels[i];
    }
    const started = performance.now();
    const auc = rocAuc(labels, scores);
    expect(performance.now() - started).toBeLessThan(2000);
    // two unit-variance normals one apart: AUC = Φ(1/√2) ≈ 0.7602
    expect(auc).toBeCloseTo(0.7602, 2);
  });
});
