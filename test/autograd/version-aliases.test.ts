/**
 * Aliases of one storage (stopGradient, reshape views) share a version counter: an in-place update through any of
 * them must invalidate graphs that saved another, instead of silently differentiating with the new values.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';

describe('version counters shared by aliases', () => {
  it('an in-place update of a parameter invalidates a graph that saved its stopGradient alias', () => {
    mt.tidy(() => {
      const w = mt.tensor([1, 2], { requiresGrad: true });
      const a = mt.tensor([3, 4], { requiresGrad: true });
      const y = mt.sum(mt.mul(a, mt.stopGradient(w)));
      w.version++; // what an optimizer step does
      expect(() => y.backward()).toThrow(/input 1 of 'mul' \[2\] was modified in place/);
    });
  });

  it('reshape views share the counter in both directions', () => {
    mt.tidy(() => {
      const w = mt.tensor([1, 2, 3, 4], { requiresGrad: true });
      const v = mt.reshape(w, [2, 2]);
      v.version++;
      expect(w.version).toBe(1);
      const unrelated = mt.tensor([1, 2, 3, 4]);
      expect(unrelated.version).toBe(0);
      expect(() => unrelated.shareVersionWith(w)).toThrow(/same storage/);
    });
  });
});
