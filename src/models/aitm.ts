/**
 * AITM — Adaptive Information Transfer Multi-task framework (Xi, Chen, Liu, Zhu, Zhang, Wang, Ye, Zhang; KDD 2021),
 * for T ≥ 2 tasks in funnel order (impression → click → purchase …).
 *
 *   q_t = tower_t(x)                        shared embedding x, one tower per task (ReLU MLP, output width k)
 *   z_1 = q_1
 *   p_{t−1} = g_{t−1}(z_{t−1})              the transfer ("info") layer: Linear(k, k) + ReLU
 *   z_t = Σ_{u ∈ {p_{t−1}, q_t}} w_u h1(u),  w_u = softmax_u(⟨h2(u), h3(u)⟩ / √k)      (the AIT module, eqs. 2–4)
 *         h1, h2, h3: bias-free k×k projections shared by both inputs, one AIT per task t ≥ 2
 *   ŷ_t = σ(head_t(z_t))                    head: Linear(k, 1) (or an MLP with headDims)
 *   L = Σ_t BCE(y_t, ŷ_t) + α · Σ_{t≥2} mean_i max(ŷ_{t,i} − ŷ_{t−1,i}, 0)    (eq. 7, the behavioural expectation
 *       calibrator: a later funnel step should not be likelier than the earlier one; α = calibratorWeight, 0.6)
 *
 * Config: inputDim | features, tasks (>= 2, binary, funnel order), towerDims (default [128, 64, 32]: the official
 * code's; the last is k), headDims ([]), dropout (after every tower layer, 0), calibratorWeight (0.6),
 * stopGradientTransfer (false). With stopGradientTransfer the gradient is cut at z_{t−1} before g_{t−1}: task t's
 * loss still trains its own transfer layer g_{t−1} (which would otherwise get no gradient at all) but cannot
 * reach task t−1's tower, AIT and head — the "stop the gradient through p_{t−1}" option of the issue, made so that
 * g keeps learning.
 * Outputs: { [task]: [B] } logits of ŷ_t. lastGates(): { [task t ≥ 2]: [B, 2] AIT weights (transferred, own) }.
 * Choices the paper leaves open: towers keep the ReLU on their last layer (as the official code), the
 * calibrator is a mean over samples (the official code sums; a mean keeps α independent of the batch size), and
 * with masks it averages over the samples where both tasks' labels are defined.
 */
import type { Tensor } from '../tensor/tensor.js';
import { stopGradient } from '../autograd/record.js';
import { add, div, maximum, mul, relu, sigmoid, sub } from '../ops/elementwise.js';
import { softmax, sum } from '../ops/reduce.js';
import { reshape, stack } from '../ops/shape.js';
import { Module } from '../nn/module.js';
import { ModuleDict } from '../nn/containers.js';
import { Linear } from '../nn/linear.js';
import { MLP } from '../nn/mlp.js';
import type { FeatureEncoder } from '../nn/feature-encoder.js';
import { ConfigReader } from './config.js';
import {
  buildEncoder,
  encodeInput,
  inputConfig,
  inputWidth,
  readInput,
  type TabularInput,
  type TabularInputSpec,
} from './inputs.js';
import { readTasks, taskConfig, type TaskSpec } from './tasks.js';
import { MultiTaskModel, type ModelPlacement, type ParamGroups, type TaskTensors } from './multi-task-model.js';

/** The AIT module: attention over the transferred vector and the task's own tower output. */
export class AdaptiveInformationTransfer extends Module {
  readonly h1: Linear;
  readonly h2: Linear;
  readonly h3: Linear;
  constructor(
    readonly dim: number,
    place: ModelPlacement,
  ) {
    super();
    this.h1 = this.registerModule('h1', new Linear(dim, dim, { ...place, bias: false }));
    this.h2 = this.registerModule('h2', new Linear(dim, dim, { ...place, bias: false }));
    this.h3 = this.registerModule('h3', new Linear(dim, dim, { ...place, bias: false }));
  }
  /** p, q [B, k] → z [B, k] and the weights [B, 2] (p's, q's). */
  forward(p: Tensor, q: Tensor): { z: Tensor; weights: Tensor } {
    const u = stack([p, q], 1);
    const score = div(sum(mul(this.h2.forward(u), this.h3.forward(u)), -1), Math.sqrt(this.dim));
    const weights = softmax(score, -1);
    const z = sum(mul(this.h1.forward(u), reshape(weights, [...weights.shape, 1])), 1);
    return { z, weights };
  }
}

class AitmTask extends Module {
  readonly tower: MLP;
  readonly head: MLP;
  readonly transfer: Linear | null;
  readonly ait: AdaptiveInformationTransfer | null;
  constructor(
    inDim: number,
    towerDims: readonly number[],
    headDims: readonly number[],
    dropout: number,
    first: boolean,
    place: ModelPlacement,
  ) {
    super();
    const k = towerDims[towerDims.length - 1];
    this.tower = this.registerModule(
      'tower',
      new MLP([inDim, ...towerDims], { ...place, activation: 'relu', outputActivation: 'relu', dropout }),
    );
    this.head = this.registerModule('head', new MLP([k, ...headDims, 1], { ...place, activation: 'relu' }));
    this.transfer = first ? null : this.registerModule('transfer', new Linear(k, k, { ...place, activation: 'relu' }));
    this.ait = first ? null : this.registerModule('ait', new AdaptiveInformationTransfer(k, place));
  }
}

export class AITM extends MultiTaskModel<TabularInput> {
  readonly modelName = 'aitm';
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly encoder: FeatureEncoder | null;
  readonly perTask: ModuleDict<AitmTask>;
  readonly inputSpec: TabularInputSpec;
  private readonly alpha: number;
  private readonly stopTransfer: boolean;

  constructor(config: unknown, place: ModelPlacement = {}) {
    super();
    const r = new ConfigReader('aitm', config);
    const input = readInput(r);
    const tasks = readTasks(r, { min: 2, kinds: ['binary'] });
    const towerDims = r.intArray('towerDims', [128, 64, 32], { minLength: 1 });
    const headDims = r.intArray('headDims', []);
    const dropout = r.number('dropout', 0, { min: 0, max: 0.99 });
    const calibratorWeight = r.number('calibratorWeight', 0.6, { min: 0 });
    const stopGradientTransfer = r.boolean('stopGradientTransfer', false);
    r.done();
    this.inputSpec = input;
    this.alpha = calibratorWeight;
    this.stopTransfer = stopGradientTransfer;
    this.config = {
      ...inputConfig(input),
      tasks: taskConfig(tasks),
      towerDims,
      headDims,
      dropout,
      calibratorWeight,
      stopGradientTransfer,
    };
    this.tasks = tasks;
    this.encoder = buildEncoder(input, place);
    if (this.encoder) this.registerModule('encoder', this.encoder);
    this.perTask = this.registerModule('tasks', new ModuleDict<AitmTask>());
    tasks.forEach((t, i) =>
      this.perTask.set(t.name, new AitmTask(inputWidth(input), towerDims, headDims, dropout, i === 0, place)),
    );
  }

  forward(input: TabularInput): TaskTensors {
    const x = encodeInput('aitm', this.inputSpec, this.encoder, input);
    const out: TaskTensors = {};
    const gates: TaskTensors = {};
    let prevZ: Tensor | null = null;
    for (const t of this.tasks) {
      const m = this.perTask.get(t.name);
      const q = m.tower.forward(x);
      let z = q;
      if (prevZ && m.transfer && m.ait) {
        const p = m.transfer.forward(this.stopTransfer ? stopGradient(prevZ) : prevZ);
        const a = m.ait.forward(p, q);
        z = a.z;
        gates[t.name] = a.weights;
      }
      const y = m.head.forward(z);
      out[t.name] = reshape(y, [y.shape[0]]);
      prevZ = z;
    }
    this.recordGates(gates);
    return out;
  }

  /** α · Σ_{t≥2} mean max(ŷ_t − ŷ_{t−1}, 0) on probabilities. */
  override regularization(outputs: TaskTensors, _labels: TaskTensors, masks: TaskTensors = {}): Tensor | null {
    if (this.alpha === 0) return null;
    let total: Tensor | null = null;
    for (let i = 1; i < this.tasks.length; i++) {
      const cur = this.tasks[i].name,
        prev = this.tasks[i - 1].name;
      const gap = relu(sub(sigmoid(this.outputOf(outputs, cur)), sigmoid(this.outputOf(outputs, prev))));
      const m = masks[cur] && masks[prev] ? mul(masks[cur], masks[prev]) : (masks[cur] ?? masks[prev]);
      const term = m ? div(sum(mul(gap, m)), maximum(stopGradient(sum(m)), 1)) : div(sum(gap), Math.max(gap.size, 1));
      total = total ? add(total, term) : term;
    }
    return total ? mul(total, this.alpha) : null;
  }

  paramGroups(): ParamGroups {
    const tasks: Record<string, Tensor[]> = {};
    const gates: Tensor[] = [];
    for (const t of this.tasks) {
      const m = this.perTask.get(t.name);
      tasks[t.name] = [...m.tower.parameters(), ...m.head.parameters(), ...(m.transfer?.parameters() ?? [])];
      if (m.ait) gates.push(...m.ait.parameters());
    }
    return { shared: this.encoder?.parameters() ?? [], tasks, gates };
  }
}
