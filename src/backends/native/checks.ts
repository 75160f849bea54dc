/**
 * Argument checks done in TypeScript before every addon call, with the same messages' shape as the js backend,
 * so a bad call throws a clear Error and never reaches C++ (which re-checks cheaply as a second line).
 */
import type { RandomParams, Shape } from '../kernels.js';
import { broadcastStrides, checkShape, checkSize, contiguousStrides, sizeOf } from '../js/shape.js';

export function checkCount(kernel: string, what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${kernel}: ${what} = ${v} must be a non-negative integer`);
}

export function checkLength(kernel: string, what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${kernel}: ${what} has ${actual} elements, expected ${expected}`);
}

/** Each input shape has the output's rank and broadcasts to it; sizes match the shapes. */
export function checkBroadcast(kernel: string, inputs: readonly { what: string; shape: Shape; size: number }[], outShape: Shape): void {
  checkShape(outShape, kernel, 'output');
  for (const { what, shape, size } of inputs) {
    checkShape(shape, kernel, what);
    broadcastStrides(shape, outShape, kernel, what);
    checkLength(kernel, what, size, sizeOf(shape));
  }
}

export function checkIndices(kernel: string, indices: Int32Array, n: number): void {
  for (let j = 0; j < indices.length; j++) {
    const ix = indices[j]!;
    if (ix < 0 || ix >= n) throw new Error(`${kernel}: index ${ix} (at position ${j}) out of range [0, ${n})`);
  }
}

export interface MatmulGeometry { batch: number; m: number; k: number; n: number; aBatchStride: number; bBatchStride: number }

export function checkMatmul(aSize: number, bSize: number, g: MatmulGeometry, biasSize: number | null): void {
  const { batch, m, k, n, aBatchStride, bBatchStride } = g;
  for (const [name, v] of Object.entries({ batch, m, k, n, aBatchStride, bBatchStride })) checkCount('matmul', name, v);
  if (batch < 1) throw new Error(`matmul: batch = ${batch} must be >= 1`);
  const aNeeded = m * k === 0 ? 0 : (batch - 1) * aBatchStride + m * k;
  const bNeeded = k * n === 0 ? 0 : (batch - 1) * bBatchStride + k * n;
  if (aSize < aNeeded) throw new Error(`matmul: a has ${aSize} elements, the batch geometry reads ${aNeeded}`);
  if (bSize < bNeeded) throw new Error(`matmul: b has ${bSize} elements, the batch geometry reads ${bNeeded}`);
  if (biasSize !== null && biasSize !== n) throw new Error(`matmul: bias has ${biasSize} elements, expected n = ${n}`);
}

const TWO_POW_32 = 4294967296;

/** The checks of the reference random kernel (ranges, seeds, offset), for the dtypes the addon fills. */
export function checkRandom(size: number, p: RandomParams): void {
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
  } else if (dist !== 'uniform' && dist !== 'normal') {
    throw new Error(`random: unknown distribution '${String(dist)}'`);
  }
}

/** The checks of the reference permute kernel; returns the output shape and the input strides it reads through. */
export function permuteView(size: number, shape: Shape, perm: readonly number[]): { outShape: number[]; strides: number[] } {
  checkShape(shape, 'permute', 'x');
  checkSize(size, sizeOf(shape), 'permute', `x (shape [${shape.join(',')}])`);
  const rank = shape.length;
  const seen = new Array<boolean>(rank).fill(false);
  if (perm.length !== rank) throw new Error(`permute: perm [${perm.join(',')}] has length ${perm.length}, x has rank ${rank}`);
  for (const p of perm) {
    if (!Number.isInteger(p) || p < 0 || p >= rank || seen[p]) throw new Error(`permute: [${perm.join(',')}] is not a permutation of 0..${rank - 1}`);
    seen[p] = true;
  }
  const inStrides = contiguousStrides(shape);
  return { outShape: perm.map((p) => shape[p]!), strides: perm.map((p) => inStrides[p]!) };
}

export { sliceView } from '../js/movement.js';
