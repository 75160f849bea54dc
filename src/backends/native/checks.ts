/**
 * Argument checks done in TypeScript before every addon call, with the same messages' shape as the js backend,
 * so a bad call throws a clear Error and never reaches C++ (which re-checks cheaply as a second line).
 */
import type { Shape } from '../kernels.js';
import { broadcastStrides, checkShape, sizeOf } from '../js/shape.js';

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

// The shared and the reference backend's own checks, so both backends reject the same inputs with the same messages.
export { checkCount, checkMatmul } from '../checks.js';
export { checkIndices, permuteView, sliceView } from '../js/movement.js';
export { checkRandom } from '../js/random.js';
