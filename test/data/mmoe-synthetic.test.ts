import { describe, expect, it } from 'vitest';
import { generateMmoeSynthetic } from '../../src/data/synthetic/mmoe-synthetic.js';

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('generateMmoeSynthetic (SYNTHETIC.md §5)', () => {
  it('builds orthonormal directions and weights with cos(w1, w2) = p and norms c, including p = ±1', () => {
    for (const p of [-1, -0.5, 0, 0.5, 0.9, 1]) {
      for (const preset of ['dselect-k', 'keras-mmoe'] as const) {
        const data = generateMmoeSynthetic({ n: 0, d: 100, p, seed: 7, preset });
        expect(Math.abs(dot(data.u1, data.u2))).toBeLessThan(1e-12);
        expect(Math.abs(Math.sqrt(dot(data.u1, data.u1)) - 1)).toBeLessThan(1e-12);
        expect(Math.abs(Math.sqrt(dot(data.u2, data.u2)) - 1)).toBeLessThan(1e-12);
        const n1 = Math.sqrt(dot(data.w1, data.w1));
        const n2 = Math.sqrt(dot(data.w2, data.w2));
        expect(Math.abs(n1 - data.c)).toBeLessThan(1e-12);
        expect(Math.abs(n2 - data.c)).toBeLessThan(1e-12);
        expect(Math.abs(dot(data.w1, data.w2) / (n1 * n2) - p)).toBeLessThan(1e-12);
      }
    }
  });

  it("uses the presets' constants", () => {
    const a = generateMmoeSynthetic({ n: 0, p: 0.5, seed: 1 });
    expect([a.c, a.noiseStd, a.alphas, a.betas]).toEqual([
      1,
      0.01,
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      [0, 1, 4, 9, 16, 25, 36, 49, 64, 81],
    ]);
    const b = generateMmoeSynthetic({ n: 0, p: 0.5, seed: 1, preset: 'keras-mmoe' });
    expect([b.c, b.noiseStd, b.alphas.length, b.betas.length]).toEqual([0.3, 0.1, 5, 5]);
  });

  it('matches the linear case exactly: corr(y1, y2) = c²p / (c² + σ²)', () => {
    const data = generateMmoeSynthetic({
      n: 20_000,
      d: 10,
      p: 0.5,
      m: 0,
      alphas: [],
      betas: [],
      noiseStd: 0.1,
      seed: 3,
    });
    expect(pearson(data.y1, data.y2)).toBeCloseTo(0.495, 1);
    expect(Math.abs(pearson(data.y1, data.y2) - 0.495)).toBeLessThan(0.03);
  });

  it('achieves the measured label correlations of preset A (±0.04 at n = 10k)', () => {
    const measured: Array<[number, number]> = [
      [-0.5, -0.212],
      [0, 0],
      [0.5, 0.218],
      [0.9, 0.458],
      [1, 1],
    ];
    for (const [p, expected] of measured) {
      const data = generateMmoeSynthetic({ n: 10_000, d: 10, p, seed: 100 + Math.round(p * 10) });
      expect(Math.abs(pearson(data.y1, data.y2) - expected)).toBeLessThan(0.04);
    }
  });

  it('has preset A marginals mean ≈ 0.105 and sd ≈ 2.656, independent of d', () => {
    for (const d of [5, 100]) {
      const { y1 } = generateMmoeSynthetic({ n: 20_000, d, p: 0.5, seed: d });
      const mean = y1.reduce((s, v) => s + v, 0) / y1.length;
      const sd = Math.sqrt(y1.reduce((s, v) => s + (v - mean) ** 2, 0) / y1.length);
      expect(Math.abs(mean - 0.105)).toBeLessThan(0.06);
      expect(Math.abs(sd - 2.656)).toBeLessThan(0.06);
    }
  });

  it('keeps preset B label correlation close to p', () => {
    const data = generateMmoeSynthetic({ n: 10_000, d: 20, p: 0.9, seed: 4, preset: 'keras-mmoe' });
    expect(pearson(data.y1, data.y2)).toBeGreaterThan(0.6);
  });

  it('is reproducible from the seed and exposes a table view', () => {
    const a = generateMmoeSynthetic({ n: 50, d: 8, p: 0.3, seed: 9 });
    const b = generateMmoeSynthetic({ n: 50, d: 8, p: 0.3, seed: 9 });
    const c = generateMmoeSynthetic({ n: 50, d: 8, p: 0.3, seed: 10 });
    expect(a.y1).toEqual(b.y1);
    expect(a.X).toEqual(b.X);
    expect(a.y1).not.toEqual(c.y1);
    expect(a.table.nNum).toBe(8);
    expect(a.table.labels.task2).toBe(a.y2);
    expect(() => generateMmoeSynthetic({ n: 1, p: 1.5, seed: 1 })).toThrow(/p must be in/);
  });
});
