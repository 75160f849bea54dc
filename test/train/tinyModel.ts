/** A two-task model and a dataset small enough for unit tests: a shared ReLU layer and one logistic head per task. */
import { Module, Linear } from '../../src/nn/index.js';
import { bceWithLogits } from '../../src/ops/loss.js';
import { mul, reshape } from '../../src/ops/index.js';
import { EncodedTable } from '../../src/data/table.js';
import { SeededRandom } from '../../src/data/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { TensorBatch, TrainableModel } from '../../src/train/index.js';

export class TinyTwoTask extends Module implements TrainableModel {
  readonly tasks = ['a', 'b'] as const;
  readonly bottom: Linear;
  readonly heads: Record<string, Linear>;
  /** Multiplies task b's logits: a huge value makes its loss overflow (for the NaN/Inf test). */
  scaleB = 1;

  constructor(inputs: number, hidden = 8) {
    super();
    this.bottom = this.registerModule('bottom', new Linear(inputs, hidden, { activation: 'relu' }));
    this.heads = {
      a: this.registerModule('head_a', new Linear(hidden, 1)),
      b: this.registerModule('head_b', new Linear(hidden, 1)),
    };
  }

  forward(inputs: TensorBatch['inputs']): Record<string, Tensor> {
    const h = this.bottom.forward(inputs.num!);
    const n = inputs.num!.shape[0];
    return {
      a: reshape(this.heads.a.forward(h), [n]),
      b: mul(reshape(this.heads.b.forward(h), [n]), this.scaleB),
    };
  }

  loss(outputs: Record<string, Tensor>, batch: TensorBatch): Record<string, Tensor> {
    return Object.fromEntries(this.tasks.map((t) => [t, bceWithLogits(outputs[t], batch.labels[t], { mask: batch.masks[t] })]));
  }

  sharedParameters(): Tensor[] { return this.bottom.parameters(); }
}

/** Linearly separable-ish labels: a = [x0 + x1 > 0], b = [x0 − x2 > 0], b defined on 3 rows out of 4. */
export function tinyTable(n: number, seed: number, inputs = 4): EncodedTable {
  const rng = new SeededRandom(seed);
  const num = new Float32Array(n * inputs);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const maskB = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < inputs; k++) num[i * inputs + k] = rng.normal();
    const x = num.subarray(i * inputs, (i + 1) * inputs);
    a[i] = x[0] + x[1] + 0.3 * rng.normal() > 0 ? 1 : 0;
    b[i] = x[0] - x[2] + 0.3 * rng.normal() > 0 ? 1 : 0;
    maskB[i] = i % 4 === 3 ? 0 : 1;
  }
  return new EncodedTable({ size: n, nCat: 0, nNum: inputs, cat: new Int32Array(0), num, labels: { a, b }, masks: { b: maskB } });
}
