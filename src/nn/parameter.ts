/**
 * Creating parameters and buffers: tensors that outlive every training step. They are made with recording off,
 * inside their own tidy (so that initialisers may use temporaries without leaking them), and keep()-ed so that
 * no enclosing or later tidy disposes them, whichever scope the module happens to be constructed in.
 */
import type { Tensor } from '../tensor/tensor.js';
import { keep, tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import type { DType } from '../backends/kernels.js';

/** Where and how a module creates its tensors. */
export interface TensorPlacement {
  dtype?: DType;
  /** Backend name; defaults to the current one. */
  backend?: string;
}

/** Runs `make` without recording and returns its result as a kept leaf that requires grad. */
export function createParameter(make: () => Tensor): Tensor {
  const t = tidy(() => noGrad(() => keep(make())));
  if (t.dtype === 'int32') throw new Error(`createParameter: a parameter must be a float tensor, got ${t.toString()}`);
  t.requiresGrad = true;
  return t;
}

/** Like createParameter, for state that is not trained (running statistics, counters). */
export function createBuffer(make: () => Tensor): Tensor {
  return tidy(() => noGrad(() => keep(make())));
}
