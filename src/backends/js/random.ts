/** The random kernel: the Philox stream of kernels.ts, via the shared reference in ../philox.ts. */
import type { DType, RandomParams, TypedArray } from '../kernels.js';
import { philoxFill } from '../philox.js';

const TWO_POW_32 = 4294967296;

/** The checks of a random fill of `size` elements (offset, seeds, range, distribution and dtype). */
export function checkRandom(size: number, dtype: DType, p: RandomParams): void {
  const { dist, seedLo, seedHi, offset, a, b } = p;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > Number.MAX_SAFE_INTEGER) {
    throw new Error(`random: offset ${offset} (+ size ${size}) must be a non-negative integer below 2^53`);
  }
  for (const [name, v] of [['seedLo', seedLo], ['seedHi', seedHi]] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_32) throw new Error(`random: ${name} = ${v} must be a uint32`);
  }
  if (dist === 'randint') {
    const range = b - a;
    if (!Number.isInteger(a) || !Number.isInteger(b) || range < 1 || range >= TWO_POW_32) {
      throw new Error(`random: randint range [${a}, ${b}) must be non-empty integers spanning less than 2^32`);
    }
  } else if (dist === 'uniform' || dist === 'normal') {
    if (dtype === 'int32') throw new Error(`random: '${dist}' needs a float dtype, got int32`);
  } else {
    throw new Error(`random: unknown distribution '${String(dist)}'`);
  }
}

export function randomKernel(out: TypedArray, dtype: DType, p: RandomParams): void {
  checkRandom(out.length, dtype, p);
  const { dist, seedLo, seedHi, offset, a, b } = p;
  philoxFill(out, dist, seedLo, seedHi, offset, a, b);
}
