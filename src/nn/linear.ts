/**
 * Linear: y = act(x Wᵀ + b), W [out, in] as in PyTorch.
 *
 * Initialisation (documented choice): PyTorch's default, kaiming_uniform(a = √5) for the weight, which is
 * U(−1/√in, 1/√in), and the same U(−1/√in, 1/√in) for the bias. `init: 'xavier'` gives Xavier/Glorot uniform
 * weights with a zero bias instead. Every Linear draws fresh numbers from the seeded stream.
 */
import type { Tensor } from '../tensor/tensor.js';
import { linear } from '../ops/linalg.js';
import { Module, type TensorModule } from './module.js';
import { createParameter, type TensorPlacement } from './parameter.js';
import { constant, kaimingUniform, uniform, xavierUniform } from './init.js';
import { applyActivation, isFusedActivation, type Activation } from './activation.js';

export interface LinearOptions extends TensorPlacement {
  bias?: boolean;
  activation?: Activation;
  init?: 'pytorch' | 'xavier';
}

export class Linear extends Module implements TensorModule {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly activation: Activation;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    for (const [what, n] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`Linear: ${what} must be a positive integer, got ${n}`);
    }
    const place: TensorPlacement = { dtype: opts.dtype, backend: opts.backend };
    const xavier = opts.init === 'xavier';
    this.weight = this.registerParameter(
      'weight',
      createParameter(() =>
        xavier ? xavierUniform([outFeatures, inFeatures], place) : kaimingUniform([outFeatures, inFeatures], place),
      ),
    );
    const bound = 1 / Math.sqrt(inFeatures);
    this.bias =
      opts.bias === false
        ? null
        : this.registerParameter(
            'bias',
            createParameter(() =>
              xavier ? constant([outFeatures], 0, place) : uniform([outFeatures], -bound, bound, place),
            ),
          );
    this.activation = opts.activation ?? 'none';
  }

  forward(x: Tensor): Tensor {
    if (isFusedActivation(this.activation)) return linear(x, this.weight, this.bias, this.activation);
    return applyActivation(linear(x, this.weight, this.bias), this.activation);
  }
}
