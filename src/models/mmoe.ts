/**
 * MMoE — Multi-gate Mixture-of-Experts (Ma, Zhao, Yi, Chen, Hong, Chi; KDD 2018).
 *
 *   experts  f_i(x), i = 1..n                        (one ExpertBank: all experts of a layer in one product)
 *   gates    g^k(x) = softmax(W_gk x) ∈ R^n           (eq. 5; one gate per task k)
 *   mixture  f^k(x) = Σ_i g^k(x)_i f_i(x)             (eq. 4; the fused gatedMixture kernel)
 *   towers   y_k = h^k(f^k(x))                        (eq. 3)
 *
 * Config: inputDim | features, tasks [{name, type?, weight?}], numExperts (8), expertDims (hidden widths of each
 * expert; the last is the expert output, default [16]), towerDims (hidden widths of each tower, default [8]),
 * gateHiddenDims ([]: the paper's linear gate; non-empty: an MLP gate), gateBias (false: the paper's W_gk x has
 * no bias), fusedGating (true: gatedMixture kernel; false: softmax + mul + sum, same numbers), towerDropout (0).
 * Outputs: { [task]: [B] } logits (binary) or values (regression). Loss: Σ_k weight_k · (BCE | MSE)_k.
 * lastGates(): { [task]: [B, numExperts] }.
 *
 * Choices the paper leaves open: experts are ReLU MLPs (the paper's synthetic experiments use ReLU layers); the
 * expert output keeps its ReLU (it is a hidden representation fed to ReLU towers); PyTorch default init everywhere.
 */
import type { Tensor } from '../tensor/tensor.js';
import { ModuleDict } from '../nn/containers.js';
import type { FeatureEncoder } from '../nn/feature-encoder.js';
import { ExpertBank } from '../nn/expert-bank.js';
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
import { Gate, Tower, mixExpertsPerTask, readExpertModelKeys, type ExpertModelKeys } from './blocks.js';
import { MultiTaskModel, type ModelPlacement, type ParamGroups, type TaskTensors } from './multi-task-model.js';

export interface MoeCommon extends ExpertModelKeys {
  input: TabularInputSpec;
  tasks: TaskSpec[];
  numExperts: number;
}

/** The keys MMoE and OMoE share. */
export function readMoeCommon(r: ConfigReader): MoeCommon {
  return {
    input: readInput(r),
    tasks: readTasks(r),
    numExperts: r.int('numExperts', 8, { min: 1 }),
    ...readExpertModelKeys(r),
  };
}

export function moeConfigJson(c: MoeCommon): Record<string, unknown> {
  const { input, ...rest } = c;
  return { ...inputConfig(input), ...rest, tasks: taskConfig(c.tasks) };
}

export class MMoE extends MultiTaskModel<TabularInput> {
  readonly modelName: string = 'mmoe';
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly encoder: FeatureEncoder | null;
  readonly experts: ExpertBank;
  readonly gates: ModuleDict<Gate>;
  readonly towers: ModuleDict<Tower>;
  private readonly spec: MoeCommon;

  get inputSpec(): TabularInputSpec {
    return this.spec.input;
  }

  constructor(config: unknown, place: ModelPlacement = {}) {
    super();
    const r = new ConfigReader('mmoe', config);
    const c = readMoeCommon(r);
    r.done();
    this.spec = c;
    this.config = moeConfigJson(c);
    this.tasks = c.tasks;
    this.encoder = buildEncoder(c.input, place);
    if (this.encoder) this.registerModule('encoder', this.encoder);
    const inDim = inputWidth(c.input);
    this.experts = this.registerModule('experts', new ExpertBank(c.numExperts, [inDim, ...c.expertDims], place));
    const d = c.expertDims[c.expertDims.length - 1];
    this.gates = this.registerModule('gates', new ModuleDict<Gate>());
    this.towers = this.registerModule('towers', new ModuleDict<Tower>());
    for (const t of c.tasks) {
      this.gates.set(t.name, new Gate(inDim, c.numExperts, { hidden: c.gateHiddenDims, bias: c.gateBias, ...place }));
      this.towers.set(t.name, new Tower(d, c.towerDims, place, c.towerDropout));
    }
  }

  forward(input: TabularInput): TaskTensors {
    const x = encodeInput('mmoe', this.spec.input, this.encoder, input);
    const experts = this.experts.forwardExperts(x);
    const mixes = mixExpertsPerTask(
      experts,
      this.tasks.map((t) => this.gates.get(t.name).forward(x)),
      this.spec.fusedGating,
    );
    const out: TaskTensors = {};
    const weights: Record<string, Tensor> = {};
    this.tasks.forEach((t, i) => {
      weights[t.name] = mixes[i]!.weights;
      out[t.name] = this.towers.get(t.name).forward(mixes[i]!.out);
    });
    this.recordGates(weights);
    return out;
  }

  paramGroups(): ParamGroups {
    const tasks: Record<string, Tensor[]> = {};
    for (const t of this.tasks) tasks[t.name] = this.towers.get(t.name).parameters();
    return {
      shared: [...(this.encoder?.parameters() ?? []), ...this.experts.parameters()],
      tasks,
      gates: this.gates.parameters(),
    };
  }
}
