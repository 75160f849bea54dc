/** A two-task model and a dataset small enough for unit tests: a shared ReLU layer and one logistic head per task. */
import { Linear } from '../../src/nn/index.js';
import { mul, reshape } from '../../src/ops/index.js';
import { EncodedTable } from '../../src/data/table.js';
import { SeededRandom } from '../../src/data/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import {
  encodeInput,
  MultiTaskModel,
  type ParamGroups,
  type TabularInput,
  type TabularInputSpec,
  type TaskSpec,
  type TaskTensors,
} from '../../src/models/index.js';

/** A TaskModel of its own (not from the zoo): dense input [B, inputs], tasks a and b with optional weights. */
export class TinyTwoTask extends MultiTaskModel<TabularInput> {
  readonly modelName = 'tiny';
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly inputSpec: TabularInputSpec;
  readonly bottom: Linear;
  readonly heads: Record<string, Linear>;
  /** Multiplies task b's logits: a huge value makes its loss overflow (for the NaN/Inf test). */
  scaleB = 1;

  constructor(inputs: number, hidden = 8, weights: { a?: number; b?: number } = {}) {
    super();
    this.config = { inputs, hidden };
    this.inputSpec = { kind: 'dense', dim: inputs };
    this.tasks = [
      { name: 'a', kind: 'binary', weight: weights.a ?? 1 },
      { name: 'b', kind: 'binary', weight: weights.b ?? 1 },
    ];
    this.bottom = this.registerModule('bottom', new Linear(inputs, hidden, { activation: 'relu' }));
    this.heads = {
      a: this.registerModule('head_a', new Linear(hidden, 1)),
      b: this.registerModule('head_b', new Linear(hidden, 1)),
    };
  }

  forward(input: TabularInput): TaskTensors {
    const x = encodeInput('tiny', this.inputSpec, null, input);
    const h = this.bottom.forward(x);
    const n = x.shape[0];
    return {
      a: reshape(this.heads.a.forward(h), [n]),
      b: mul(reshape(this.heads.b.forward(h), [n]), this.scaleB),
    };
  }

  paramGroups(): ParamGroups {
    return {
      shared: this.bottom.parameters(),
      tasks: { a: this.heads.a.parameters(), b: this.heads.b.parameters() },
      gates: [],
    };
  }

  /** The shared layer's parameters (what the conflict probe and the strategies work on). */
  sharedParameters(): Tensor[] {
    return this.bottom.parameters();
  }
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
  return new EncodedTable({
    size: n,
    nCat: 0,
    nNum: inputs,
    cat: new Int32Array(0),
    num,
    labels: { a, b },
    masks: { b: maskB },
  });
}
