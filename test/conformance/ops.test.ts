/**
 * The conformance suite: every op case on every available backend (float32; float64 too on js) against the float64
 * reference computed by the js backend, forward and gradients.
 */
import { describe, it, expect } from 'vitest';
import { CASES, COMPOSITES } from './cases.js';
import { availability } from './backends.js';
import { caseValues, runCase } from './harness.js';
import { assertClose, type Tolerance } from './compare.js';

const F32: Tolerance = { atol: 2e-5, rtol: 2e-4 };
const F32_GRAD: Tolerance = { atol: 1e-4, rtol: 1e-3 };
const F64: Tolerance = { atol: 1e-12, rtol: 1e-10 };

const targets = availability.flatMap((b) =>
  b.name === 'js'
    ? [
        { ...b, dtype: 'float64' as const },
        { ...b, dtype: 'float32' as const },
      ]
    : [{ ...b, dtype: 'float32' as const }],
);

for (const t of targets) {
  describe.skipIf(!t.available)(
    `conformance: ${t.name} ${t.dtype}${t.available ? '' : ` (skipped: ${t.reason})`}`,
    () => {
      for (const c of [...CASES, ...COMPOSITES]) {
        it(c.name, async () => {
          const values = caseValues(c);
          const ref = await runCase(c, values, 'js', 'float64');
          const got = await runCase(c, values, t.name, t.dtype);
          expect(got.outShape).toEqual(ref.outShape);
          expect(got.outDtype === 'int32').toBe(ref.outDtype === 'int32');
          const tol = t.dtype === 'float64' ? F64 : (c.tol ?? F32);
          assertClose(got.out, ref.out, tol, `${c.name} forward on ${t.name}`);
          expect(got.grads.length).toBe(ref.grads.length);
          got.grads.forEach((g, i) =>
            assertClose(
              g,
              ref.grads[i],
              t.dtype === 'float64' ? F64 : F32_GRAD,
              `${c.name} grad of input ${i} on ${t.name}`,
            ),
          );
        });
      }
    },
  );
}
