/**
 * Finite-difference gradient checks in float64 on the js reference backend, for every differentiable op case and
 * for composite expressions (MLP, softmax gate over experts, ESMM's product of sigmoids, embedding lookup).
 */
import { describe, it } from 'vitest';
import * as mt from '../../src/index.js';
import { CASES, COMPOSITES, type OpCase } from '../conformance/cases.js';
import { caseValues, isDiff, makeInputs, outputWeights, prng, seedOf } from '../conformance/harness.js';
import { assertClose } from '../conformance/compare.js';

const EPS = 1e-6;
/** At most this many coordinates per input are perturbed (chosen at random), to keep big cases fast. */
const MAX_COORDS = 24;

function objective(c: OpCase, values: Float64Array[]): number {
  return mt.tidy(() =>
    mt.noGrad(() => {
      const inputs = makeInputs(c, values, 'js', 'float64');
      mt.manualSeed(seedOf(c.name));
      const out = c.run(...inputs);
      const w = outputWeights(out.shape, seedOf(c.name));
      const o = out.dataSync();
      let s = 0;
      for (let i = 0; i < o.length; i++) s += o[i] * w[i];
      return s;
    }),
  );
}

function analytic(c: OpCase, values: Float64Array[]): Float64Array[] {
  return mt.tidy(() => {
    const inputs = makeInputs(c, values, 'js', 'float64');
    mt.manualSeed(seedOf(c.name));
    const out = c.run(...inputs);
    const w = mt.tensor(outputWeights(out.shape, seedOf(c.name)), { shape: out.shape, dtype: 'float64' });
    const diff = inputs.filter((_, i) => isDiff(c, c.inputs[i]));
    return mt.grad(mt.sum(mt.mul(out, w)), diff).map((g) => g.dataSync() as Float64Array);
  });
}

describe('finite-difference gradient checks (float64, js)', () => {
  for (const c of [...CASES, ...COMPOSITES].filter(
    (k) => k.grad !== false && k.inputs.some((s) => !s.int && !s.noGrad),
  )) {
    it(c.name, () => {
      const values = caseValues(c);
      const grads = analytic(c, values);
      const rnd = prng(seedOf(c.name) ^ 0x1234);
      let gi = 0;
      c.inputs.forEach((spec, i) => {
        if (!isDiff(c, spec)) return;
        const g = grads[gi++];
        const n = values[i].length;
        const coords =
          n <= MAX_COORDS ? [...Array(n).keys()] : Array.from({ length: MAX_COORDS }, () => Math.floor(rnd() * n));
        const numeric: number[] = [],
          exact: number[] = [];
        for (const j of coords) {
          const orig = values[i][j];
          values[i][j] = orig + EPS;
          const fp = objective(c, values);
          values[i][j] = orig - EPS;
          const fm = objective(c, values);
          values[i][j] = orig;
          numeric.push((fp - fm) / (2 * EPS));
          exact.push(g[j]);
        }
        assertClose(exact, numeric, c.fdTol ?? { atol: 1e-6, rtol: 1e-5 }, `${c.name}: d/d input ${i}`);
      });
    });
  }
});
