/**
 * BatchNorm1d over [N, C] or [N, C, L] inputs, as torch.nn.BatchNorm1d: in training the batch mean and the
 * biased batch variance normalise, and the running statistics move by `momentum` towards the batch mean and the
 * UNBIASED batch variance (n/(n−1) correction, like PyTorch); in eval the running statistics normalise.
 * Buffers: running_mean (0), running_var (1), num_batches_tracked (int32).
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { noGrad } from '../autograd/mode.js';
import { tidy } from '../tensor/scope.js';
import { stopGradient } from '../autograd/record.js';
import { add, mul, rsqrt, square, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reduce.js';
import { reshape } from '../ops/shape.js';
import { full } from '../ops/creation.js';
import { Module, type TensorModule } from './module.js';
import { createBuffer, createParameter, type TensorPlacement } from './parameter.js';

export interface BatchNormOptions extends TensorPlacement {
  eps?: number;
  /** Weight of the new batch in the running statistics (PyTorch default 0.1). */
  momentum?: number;
  /** Learnable per-channel scale (1) and shift (0). */
  affine?: boolean;
  trackRunningStats?: boolean;
}

export class BatchNorm1d extends Module implements TensorModule {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;
  readonly momentum: number;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1)
      throw new Error(`BatchNorm1d: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (!(this.momentum >= 0 && this.momentum <= 1))
      throw new Error(`BatchNorm1d: momentum must be in [0, 1], got ${this.momentum}`);
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const place: TensorPlacement = { dtype: opts.dtype, backend: opts.backend };
    const affine = opts.affine ?? true;
    this.weight = affine
      ? this.registerParameter(
          'weight',
          createParameter(() => full([numFeatures], 1, place)),
        )
      : null;
    this.bias = affine
      ? this.registerParameter(
          'bias',
          createParameter(() => full([numFeatures], 0, place)),
        )
      : null;
    if (this.trackRunningStats) {
      this.registerBuffer(
        'running_mean',
        createBuffer(() => full([numFeatures], 0, place)),
      );
      this.registerBuffer(
        'running_var',
        createBuffer(() => full([numFeatures], 1, place)),
      );
      this.registerBuffer(
        'num_batches_tracked',
        createBuffer(() => full([], 0, { dtype: 'int32', backend: opts.backend })),
      );
    }
  }

  get runningMean(): Tensor {
    return this.buffer('running_mean');
  }
  get runningVar(): Tensor {
    return this.buffer('running_var');
  }
  get numBatchesTracked(): Tensor {
    return this.buffer('num_batches_tracked');
  }

  forward(x: Tensor): Tensor {
    const C = this.numFeatures;
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[1] !== C) {
      throw new Error(`BatchNorm1d(${C}): expected input [N, ${C}] or [N, ${C}, L], got ${fmt(x.shape)}`);
    }
    const axes = x.ndim === 2 ? [0] : [0, 2];
    const bshape = x.ndim === 2 ? [1, C] : [1, C, 1];
    const useBatch = this.training || !this.trackRunningStats;
    let mu: Tensor, varB: Tensor;
    if (useBatch) {
      const n = x.size / C;
      if (this.training && n < 2)
        throw new Error(`BatchNorm1d(${C}): training needs more than 1 value per channel, got input ${fmt(x.shape)}`);
      mu = mean(x, axes, true);
      varB = mean(square(sub(x, mu)), axes, true);
      if (this.training && this.trackRunningStats)
        this.updateRunningStats(reshape(stopGradient(mu), [C]), reshape(stopGradient(varB), [C]), n);
    } else {
      mu = reshape(this.runningMean, bshape);
      varB = reshape(this.runningVar, bshape);
    }
    let y = mul(sub(x, mu), rsqrt(add(varB, this.eps)));
    if (this.weight && this.bias) y = add(mul(y, reshape(this.weight, bshape)), reshape(this.bias, bshape));
    return y;
  }

  private updateRunningStats(batchMean: Tensor, batchVarBiased: Tensor, n: number): void {
    // Own tidy: the temporaries go even when forward runs outside one; the new buffers are kept by replaceBuffer.
    tidy(() =>
      noGrad(() => {
        const m = this.momentum;
        const unbiased = mul(batchVarBiased, n / (n - 1));
        this.replaceBuffer('running_mean', add(mul(this.runningMean, 1 - m), mul(batchMean, m)));
        this.replaceBuffer('running_var', add(mul(this.runningVar, 1 - m), mul(unbiased, m)));
        this.replaceBuffer('num_batches_tracked', add(this.numBatchesTracked, 1));
      }),
    );
  }
}
