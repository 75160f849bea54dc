/** Dropout as a layer: active in training mode only (inverted dropout: the kept values are scaled by 1/(1−p)). */
import type { Tensor } from '../tensor/tensor.js';
import { dropout } from '../ops/nn.js';
import { Module, type TensorModule } from './module.js';

export class Dropout extends Module implements TensorModule {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}
