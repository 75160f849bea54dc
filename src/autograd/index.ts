/** The autograd layer's public surface, and the Tensor methods that belong to it. */
import { Tensor } from '../tensor/tensor.js';
import { backward, type BackwardOptions } from './backward.js';
import { stopGradient } from './record.js';

export { backward, grad, type BackwardOptions, type GradOptions } from './backward.js';
export { record, stopGradient, type BackwardFn } from './record.js';
export { noGrad, enableGrad, isGradEnabled } from './mode.js';

declare module '../tensor/tensor.js' {
  interface Tensor {
    /** Accumulates gradients of this (scalar, or with gradOutputs) into the .grad of leaves. */
    backward(opts?: BackwardOptions): void;
    /** Same values, cut from the tape (alias of stopGradient). */
    detach(): Tensor;
  }
}

Tensor.prototype.backward = function (this: Tensor, opts?: BackwardOptions) {
  backward(this, opts);
};
Tensor.prototype.detach = function (this: Tensor) {
  return stopGradient(this);
};
