/**
 * MRAN — Multiple Relational Attention Network (Zhao, Du, Sun, Zhuang, Lv, Xiong; KDD 2019): three attention
 * modules learn feature–feature interactions, task–feature dependence and task–task relations.
 *
 *   feature tokens   F [B, n, d]: one vector per input field — a categorical field's embedding (dim d), a numeric
 *                    field j's x_j·e_j + b_j (a learned direction and offset per field)
 *   feature–feature  F' = LN(F + softmax(Q_f K_fᵀ / √d) V_f)            Q_f, K_f, V_f = F·W{q,k,v}
 *   task–feature     H = LN(E + softmax(Q_e K_hᵀ / √d) V_h)            E [T, d] learned task tokens as queries,
 *                                                                       keys/values from F': each task's own
 *                                                                       weighting of the features
 *   task–task        R = tanh(Q_h K_hᵀ / √d) ∈ (−1, 1)^{T×T} per sample, Z = LN(H + R V_h / T)
 *   towers           y_t = tower_t(Z_t), 2-layer ReLU MLP d → towerDims → 1
 *   L = Σ_t weight_t · L_t + λ · mean over samples and off-diagonal pairs of R_{t,s}²
 *
 * Choices the paper leaves open, made here: single-head scaled dot-product attention with bias-free projections;
 * post-norm residual blocks (LayerNorm after the residual sum); the task–feature module runs before the task–task
 * one so that task relations depend on the sample (the task tokens alone would give one fixed matrix for all);
 * the task relation uses tanh instead of a softmax so that a relation can be negative — the "negative transfer"
 * the paper's task–task module controls — and is averaged over the T tasks; the penalty is the squared
 * off-diagonal relation, i.e. transfer between tasks has to pay for itself in the task losses.
 *
 * Config: inputDim (each column is a numeric field) | features (categorical dims must equal tokenDim; set
 * features.embeddingDim = tokenDim), tasks, tokenDim (d, 16), towerDims ([32]), relationPenalty (λ, 1e-3).
 * Outputs: { [task]: [B] } logits or values. lastGates(): { featureFeature [B, n, n], taskFeature [B, T, n],
 * taskTask [B, T, T] } (taskTask holds R, signed).
 */
import type { Tensor } from '../tensor/tensor.js';
import { add, div, mul, tanh } from '../ops/elementwise.js';
import { eye, randn } from '../ops/creation.js';
import { softmax, sum } from '../ops/reduce.js';
import { concat, reshape, slice, transpose } from '../ops/shape.js';
import { matmul } from '../ops/linalg.js';
import { Module } from '../nn/module.js';
import { ModuleDict } from '../nn/containers.js';
import { Linear } from '../nn/linear.js';
import { LayerNorm } from '../nn/layer-norm.js';
import { createParameter } from '../nn/parameter.js';
import { uniform } from '../nn/init.js';
import type { FeatureEncoder } from '../nn/feature-encoder.js';
import { ConfigReader } from './config.js';
import {
  buildEncoder,
  encodeInput,
  inputConfig,
  readInput,
  type TabularInput,
  type TabularInputSpec,
} from './inputs.js';
import { readTasks, taskConfig, type TaskSpec } from './tasks.js';
import { Tower } from './blocks.js';
import { MultiTaskModel, type ModelPlacement, type ParamGroups, type TaskTensors } from './multi-task-model.js';

/** Bias-free query/key/value projections and the post-norm of one attention block. */
export class AttentionBlock extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly norm: LayerNorm;
  constructor(
    readonly dim: number,
    place: ModelPlacement,
  ) {
    super();
    this.query = this.registerModule('query', new Linear(dim, dim, { ...place, bias: false }));
    this.key = this.registerModule('key', new Linear(dim, dim, { ...place, bias: false }));
    this.value = this.registerModule('value', new Linear(dim, dim, { ...place, bias: false }));
    this.norm = this.registerModule('norm', new LayerNorm(dim, place));
  }
  /** Scaled scores Q Kᵀ / √d for queries [.., m, d] and keys [B, n, d] → [B, m, n]. */
  scores(queries: Tensor, keys: Tensor): Tensor {
    return div(matmul(this.query.forward(queries), transpose(this.key.forward(keys), -2, -1)), Math.sqrt(this.dim));
  }
}

export class MRAN extends MultiTaskModel<TabularInput> {
  readonly modelName = 'mran';
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly encoder: FeatureEncoder | null;
  readonly numericDirections: Tensor | null;
  readonly numericOffsets: Tensor | null;
  readonly taskTokens: Tensor;
  readonly featureFeature: AttentionBlock;
  readonly taskFeature: AttentionBlock;
  readonly taskTask: AttentionBlock;
  readonly towers: ModuleDict<Tower>;
  readonly inputSpec: TabularInputSpec;
  private readonly nCat: number;
  private readonly nNum: number;
  private readonly d: number;
  private readonly lambda: number;
  private readonly penalties = new WeakMap<TaskTensors, Tensor>();

  constructor(config: unknown, place: ModelPlacement = {}) {
    super();
    const r = new ConfigReader('mran', config);
    const input = readInput(r);
    const tasks = readTasks(r);
    const tokenDim = r.int('tokenDim', 16, { min: 1 });
    const towerDims = r.intArray('towerDims', [32], { minLength: 1 });
    const relationPenalty = r.number('relationPenalty', 1e-3, { min: 0 });
    r.done();
    if (input.kind === 'features') {
      for (const c of input.features.categorical) {
        const dim = c.dim ?? input.features.embeddingDim;
        if (dim !== tokenDim)
          r.fail(
            `features.categorical '${c.name}' dim`,
            `tokenDim (${tokenDim}): every feature token has width tokenDim`,
            dim,
          );
      }
    }
    this.inputSpec = input;
    this.d = tokenDim;
    this.lambda = relationPenalty;
    this.config = { ...inputConfig(input), tasks: taskConfig(tasks), tokenDim, towerDims, relationPenalty };
    this.tasks = tasks;
    this.nCat = input.kind === 'features' ? input.features.categorical.length : 0;
    this.nNum = input.kind === 'features' ? input.features.numeric.length : input.dim;
    this.encoder = buildEncoder(input, place);
    if (this.encoder) this.registerModule('encoder', this.encoder);
    const b = 1 / Math.sqrt(tokenDim);
    this.numericDirections = this.nNum
      ? this.registerParameter(
          'numericDirections',
          createParameter(() => randn([this.nNum, tokenDim], { ...place, std: b })),
        )
      : null;
    this.numericOffsets = this.nNum
      ? this.registerParameter(
          'numericOffsets',
          createParameter(() => uniform([this.nNum, tokenDim], -b, b, place)),
        )
      : null;
    this.taskTokens = this.registerParameter(
      'taskTokens',
      createParameter(() => randn([tasks.length, tokenDim], { ...place, std: 1 })),
    );
    this.featureFeature = this.registerModule('featureFeature', new AttentionBlock(tokenDim, place));
    this.taskFeature = this.registerModule('taskFeature', new AttentionBlock(tokenDim, place));
    this.taskTask = this.registerModule('taskTask', new AttentionBlock(tokenDim, place));
    this.towers = this.registerModule('towers', new ModuleDict<Tower>());
    for (const t of tasks) this.towers.set(t.name, new Tower(tokenDim, towerDims, place));
  }

  /** [B, n, d]: categorical embeddings (the encoder's first nCat·d columns) then numeric field tokens. */
  private featureTokens(input: TabularInput): Tensor {
    const x = encodeInput('mran', this.inputSpec, this.encoder, input);
    const B = x.shape[0],
      d = this.d;
    const parts: Tensor[] = [];
    if (this.nCat) parts.push(reshape(slice(x, [null, [0, this.nCat * d]]), [B, this.nCat, d]));
    if (this.numericDirections && this.numericOffsets) {
      const num = reshape(slice(x, [null, [this.nCat * d, this.nCat * d + this.nNum]]), [B, this.nNum, 1]);
      parts.push(add(mul(num, this.numericDirections), this.numericOffsets));
    }
    return parts.length === 1 ? parts[0] : concat(parts, 1);
  }

  forward(input: TabularInput): TaskTensors {
    const T = this.tasks.length;
    const F = this.featureTokens(input);
    const ff = this.featureFeature;
    const aFF = softmax(ff.scores(F, F), -1);
    const F2 = ff.norm.forward(add(F, matmul(aFF, ff.value.forward(F))));

    const tf = this.taskFeature;
    const aTF = softmax(tf.scores(this.taskTokens, F2), -1);
    const H = tf.norm.forward(add(this.taskTokens, matmul(aTF, tf.value.forward(F2))));

    const tt = this.taskTask;
    const R = tanh(tt.scores(H, H));
    const Z = tt.norm.forward(add(H, div(matmul(R, tt.value.forward(H)), T)));

    const out: TaskTensors = {};
    const B = Z.shape[0];
    this.tasks.forEach((t, i) => {
      out[t.name] = this.towers.get(t.name).forward(reshape(slice(Z, [null, [i, i + 1]]), [B, this.d]));
    });
    if (this.lambda > 0 && T > 1) {
      const offDiagonal = add(mul(eye(T, T, { dtype: R.dtype, backend: R.backendName }), -1), 1);
      const sq = sum(mul(mul(R, R), offDiagonal));
      this.penalties.set(out, mul(sq, this.lambda / (B * T * (T - 1))));
    }
    this.recordGates({ featureFeature: aFF, taskFeature: aTF, taskTask: R });
    return out;
  }

  /** λ · mean of the squared off-diagonal task relations. */
  override regularization(outputs: TaskTensors): Tensor | null {
    return this.penalties.get(outputs) ?? null;
  }

  paramGroups(): ParamGroups {
    const tasks: Record<string, Tensor[]> = {};
    for (const t of this.tasks) tasks[t.name] = this.towers.get(t.name).parameters();
    return {
      shared: [
        ...(this.encoder?.parameters() ?? []),
        ...(this.numericDirections ? [this.numericDirections] : []),
        ...(this.numericOffsets ? [this.numericOffsets] : []),
        ...this.featureFeature.parameters(),
      ],
      tasks,
      gates: [this.taskTokens, ...this.taskFeature.parameters(), ...this.taskTask.parameters()],
    };
  }
}
