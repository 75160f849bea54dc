/** What several benches feed their kernels: seeded input arrays, and the gated mixture composed from primitives. */
import type { Backend, Storage } from '../src/backends/kernels.js';

/** n floats in [−scale/2, scale/2) from a seeded LCG (cheap, deterministic, and no Philox in the measured path). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 4294967296 - 0.5) * scale;
  }
  return a;
}

/** The gated mixture (experts [E,B,D], logits [B,E]) from primitive kernels: what the fused kernel is measured against. */
export function composedGatedMixture(
  be: Backend,
  experts: Storage,
  logits: Storage,
  E: number,
  B: number,
  D: number,
): Storage {
  const w = be.softmax(logits, B, E, false);
  const wT = be.permute(w, [B, E], [1, 0]);
  const prod = be.binary('mul', experts, wT, [E, B, D], [E, B, 1], [E, B, D]);
  const out = be.reduce('sum', prod, 1, E, B * D);
  be.dispose(w);
  be.dispose(wT);
  be.dispose(prod);
  return out;
}
