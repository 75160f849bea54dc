/** The js backend: pure TypeScript reference kernels over typed arrays. */
import type { Backend } from '../kernels.js';
import { JsBackend } from './backend.js';

export { JsBackend } from './backend.js';
export { JsStorage, allocate, dtypeOfArray, isFloat } from './storage.js';
export { erf, erfc } from './erf.js';

export async function createJsBackend(): Promise<Backend> {
  return new JsBackend();
}
