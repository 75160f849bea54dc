/**
 * Runs in the browser (bundled by browser.test.ts with the browser platform): the conformance suite's forward
 * cases on the webgpu backend through navigator.gpu. Outputs go back to the test, which compares them with the
 * float64 reference computed in Node. Non-finite values travel as strings (JSON has no NaN).
 */
import * as mt from '../../src/browser.js';
import { CASES, COMPOSITES } from '../conformance/cases.js';
import { caseValues, makeInputs, seedOf } from '../conformance/harness.js';

export interface PageCase {
  out?: (number | string)[];
  shape?: number[];
  dtype?: string;
  error?: string;
}

async function run(): Promise<{ adapter: string; cases: Record<string, PageCase> }> {
  await mt.init({ backend: 'webgpu' });
  const cases: Record<string, PageCase> = {};
  for (const c of [...CASES, ...COMPOSITES]) {
    if (c.skip?.includes('webgpu')) continue;
    try {
      const values = caseValues(c);
      const out = mt.tidy(() => {
        const inputs = makeInputs(c, values, 'webgpu', 'float32');
        mt.manualSeed(seedOf(c.name));
        return c.run(...inputs);
      });
      const data = Array.from(await out.data(), (v) => (Number.isFinite(v) ? v : String(v)));
      cases[c.name] = { out: data, shape: [...out.shape], dtype: out.dtype };
      out.dispose();
    } catch (error) {
      cases[c.name] = { error: (error as Error).stack ?? String(error) };
    }
  }
  return { adapter: mt.backendInfo('webgpu').description, cases };
}

(globalThis as { mtgradRun?: Promise<unknown> }).mtgradRun = run();
