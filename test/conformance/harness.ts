/** Runs an op case on a backend and dtype: inputs from seeded values, the forward output and gradients read back. */
import * as mt from '../../src/index.js';
import type { Tensor, DType } from '../../src/index.js';
import type { OpCase, InputSpec } from './cases.js';

/** Mulberry32: a tiny seeded PRNG for test data (independent of the engine's Philox stream). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seedOf(name: string): number {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

export function makeValues(spec: InputSpec, rnd: () => number): Float64Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const v = new Float64Array(n);
  const lo = spec.low ?? -2,
    hi = spec.high ?? 2;
  for (let i = 0; i < n; i++) {
    const u = rnd();
    v[i] = spec.binary ? (u < 0.5 ? 0 : 1) : spec.int ? Math.floor(lo + u * (hi - lo)) : lo + u * (hi - lo);
  }
  return v;
}

export function isDiff(c: OpCase, s: InputSpec): boolean {
  return c.grad !== false && !s.int && !s.noGrad;
}

export interface CaseResult {
  out: ArrayLike<number>;
  outShape: readonly number[];
  outDtype: DType;
  grads: ArrayLike<number>[];
}

export function makeInputs(c: OpCase, values: Float64Array[], backend: string, dtype: DType): Tensor[] {
  return c.inputs.map((s, i) => {
    const data = s.int ? Int32Array.from(values[i]) : dtype === 'float64' ? values[i] : Float32Array.from(values[i]);
    return mt.tensor(data, { shape: s.shape, backend, dtype: s.int ? 'int32' : dtype, requiresGrad: isDiff(c, s) });
  });
}

/** Weights for the scalar the gradient is taken of, so that every output element matters differently. */
export function outputWeights(shape: readonly number[], seed: number): Float64Array {
  return makeValues({ shape: [...shape], low: -1, high: 1 }, prng(seed ^ 0x5bd1e995));
}

export async function runCase(c: OpCase, values: Float64Array[], backend: string, dtype: DType): Promise<CaseResult> {
  const seed = seedOf(c.name);
  const kept = mt.tidy(() => {
    const inputs = makeInputs(c, values, backend, dtype);
    mt.manualSeed(seed);
    const out = c.run(...inputs);
    if (c.grad === false) return { out, grads: [] as Tensor[] };
    const w = outputWeights(out.shape, seed);
    const wt = mt.tensor(dtype === 'float64' ? w : Float32Array.from(w), { shape: out.shape, backend, dtype });
    const loss = mt.sum(mt.mul(out, wt));
    const diff = inputs.filter((_, i) => isDiff(c, c.inputs[i]));
    return { out, grads: mt.grad(loss, diff) };
  });
  const result: CaseResult = {
    out: await kept.out.data(),
    outShape: kept.out.shape,
    outDtype: kept.out.dtype,
    grads: await Promise.all(kept.grads.map((g) => g.data())),
  };
  mt.dispose(kept);
  return result;
}

export function caseValues(c: OpCase): Float64Array[] {
  const rnd = prng(seedOf(c.name));
  return c.inputs.map((s) => makeValues(s, rnd));
}
