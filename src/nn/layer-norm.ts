/** LayerNorm over the trailing `normalizedShape` axes (biased variance, eps inside the root), as torch.nn.LayerNorm. */
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { add, mul, rsqrt, square, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { full } from '../ops/creation.js';
import { Module, type TensorModule } from './module.js';
import { createParameter, type TensorPlacement } from './parameter.js';

export interface LayerNormOptions extends TensorPlacement {
  eps?: number;
  elementwiseAffine?: boolean;
}

export class LayerNorm extends Module implements TensorModule {
  readonly normalizedShape: readonly number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0 || this.normalizedShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`LayerNorm: normalizedShape must be positive integers, got ${fmt(this.normalizedShape)}`);
    }
    this.eps = opts.eps ?? 1e-5;
    const place: TensorPlacement = { dtype: opts.dtype, backend: opts.backend };
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine
      ? this.registerParameter(
          'weight',
          createParameter(() => full(this.normalizedShape, 1, place)),
        )
      : null;
    this.bias = affine
      ? this.registerParameter(
          'bias',
          createParameter(() => full(this.normalizedShape, 0, place)),
        )
      : null;
  }

  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.ndim - k);
    if (x.ndim < k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new Error(
        `LayerNorm${fmt(this.normalizedShape)}: input ${fmt(x.shape)} must end in ${fmt(this.normalizedShape)}`,
      );
    }
    const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    const mu = mean(x, axes, true);
    const centered = sub(x, mu);
    const y = mul(centered, rsqrt(add(mean(square(centered), axes, true), this.eps)));
    return this.weight && this.bias ? add(mul(y, this.weight), this.bias) : y;
  }
}
