/**
 * MLP(dims, opts): Linear layers dims[0]→dims[1]→…→dims[n]. Each hidden layer is Linear → (BatchNorm1d) →
 * activation → (Dropout), the usual order in recommender towers; the last layer is Linear → outputActivation
 * (default none, i.e. logits). Layers are named fc1…fcN and bn1…, so a tower's weights read
 * `towers.ctr.net.fc1.weight` (experts are stacked in an ExpertBank instead: `experts.fc1.weight`, [E, out, in]).
 * Without batch norm the hidden activation runs fused in the GEMM epilogue.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module, type TensorModule } from './module.js';
import { Linear } from './linear.js';
import { BatchNorm1d } from './batch-norm.js';
import { Dropout } from './dropout.js';
import { applyActivation, type Activation } from './activation.js';
import type { TensorPlacement } from './parameter.js';

export interface MLPOptions extends TensorPlacement {
  /** Hidden activation (default relu). */
  activation?: Activation;
  /** Dropout probability after each hidden activation (default 0: none). */
  dropout?: number;
  batchNorm?: boolean;
  outputActivation?: Activation;
  init?: 'pytorch' | 'xavier';
}

export class MLP extends Module implements TensorModule {
  private readonly blocks: { fc: Linear; bn: BatchNorm1d | null; act: Activation; drop: Dropout | null }[] = [];

  constructor(
    readonly dims: readonly number[],
    opts: MLPOptions = {},
  ) {
    super();
    if (dims.length < 2)
      throw new Error(`MLP: dims must list at least an input and an output size, got [${dims.join(', ')}]`);
    const place: TensorPlacement = { dtype: opts.dtype, backend: opts.backend };
    const hiddenAct = opts.activation ?? 'relu';
    const p = opts.dropout ?? 0;
    for (let i = 1; i < dims.length; i++) {
      const last = i === dims.length - 1;
      const act = last ? (opts.outputActivation ?? 'none') : hiddenAct;
      const withBn = !last && (opts.batchNorm ?? false);
      // Fuse the activation into the GEMM unless batch norm has to run in between.
      const fc = this.registerModule(
        `fc${i}`,
        new Linear(dims[i - 1], dims[i], { ...place, init: opts.init, activation: withBn ? 'none' : act }),
      );
      const bn = withBn ? this.registerModule(`bn${i}`, new BatchNorm1d(dims[i], place)) : null;
      const drop = !last && p > 0 ? this.registerModule(`dropout${i}`, new Dropout(p)) : null;
      this.blocks.push({ fc, bn, act, drop });
    }
  }

  get inFeatures(): number {
    return this.dims[0];
  }
  get outFeatures(): number {
    return this.dims[this.dims.length - 1];
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (const { fc, bn, act, drop } of this.blocks) {
      h = fc.forward(h);
      if (bn) h = applyActivation(bn.forward(h), act);
      if (drop) h = drop.forward(h);
    }
    return h;
  }
}
