/**
 * OMoE — One-gate Mixture-of-Experts, the MMoE paper's ablation baseline (Ma et al., KDD 2018, eq. 2 with a
 * softmax gate): one gate g(x) = softmax(W_g x) shared by every task, f(x) = Σ_i g(x)_i f_i(x), towers per task.
 *
 * Config: the same keys as mmoe (inputDim | features, tasks, numExperts, expertDims, towerDims, gateHiddenDims,
 * gateBias, fusedGating, towerDropout). Outputs: { [task]: [B] } logits or values. Loss: Σ_k weight_k · L_k.
 * lastGates(): { [task]: [B, numExperts] } — the same weights under every task name (one gate).
 */
import type { Tensor } from '../tensor/tensor.js';
import { ModuleDict } from '../nn/containers.js';
import type { FeatureEncoder } from '../nn/feature-encoder.js';
import { ExpertBank } from '../nn/expert-bank.js';
import { ConfigReader } from './config.js';
import { buildEncoder, encodeInput, inputWidth, type TabularInput, type TabularInputSpec } from './inputs.js';
import type { TaskSpec } from './tasks.js';
import { Gate, Tower, mixExperts } from './blocks.js';
import { MultiTaskModel, type ModelPlacement, type ParamGroups, type TaskTensors } from './multi-task-model.js';
import { moeConfigJson, readMoeCommon, type MoeCommon } from './mmoe.js';

export class OMoE extends MultiTaskModel<TabularInput> {
  readonly modelName: string = 'omoe';
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly encoder: FeatureEncoder | null;
  readonly experts: ExpertBank;
  readonly gate: Gate;
  readonly towers: ModuleDict<Tower>;
  private readonly spec: MoeCommon;

  get inputSpec(): TabularInputSpec {
    return this.spec.input;
  }

  constructor(config: unknown, place: ModelPlacement = {}) {
    super();
    const r = new ConfigReader('omoe', config);
    const c = readMoeCommon(r);
    r.done();
    this.spec = c;
    this.config = moeConfigJson(c);
    this.tasks = c.tasks;
    this.encoder = buildEncoder(c.input, place);
    if (this.encoder) this.registerModule('encoder', this.encoder);
    const inDim = inputWidth(c.input);
    this.experts = this.registerModule('experts', new ExpertBank(c.numExperts, [inDim, ...c.expertDims], place));
    this.gate = this.registerModule(
      'gate',
      new Gate(inDim, c.numExperts, { hidden: c.gateHiddenDims, bias: c.gateBias, ...place }),
    );
    const d = c.expertDims[c.expertDims.length - 1];
    this.towers = this.registerModule('towers', new ModuleDict<Tower>());
    for (const t of c.tasks) this.towers.set(t.name, new Tower(d, c.towerDims, place, c.towerDropout));
  }

  forward(input: TabularInput): TaskTensors {
    const x = encodeInput('omoe', this.spec.input, this.encoder, input);
    const mix = mixExperts(this.experts.forwardExperts(x), this.gate.forward(x), this.spec.fusedGating);
    const out: TaskTensors = {};
    const weights: Record<string, Tensor> = {};
    for (const t of this.tasks) {
      out[t.name] = this.towers.get(t.name).forward(mix.out);
      weights[t.name] = mix.weights;
    }
    this.recordGates(weights);
    return out;
  }

  paramGroups(): ParamGroups {
    const tasks: Record<string, Tensor[]> = {};
    for (const t of this.tasks) tasks[t.name] = this.towers.get(t.name).parameters();
    return {
      shared: [...(this.encoder?.parameters() ?? []), ...this.experts.parameters()],
      tasks,
      gates: this.gate.parameters(),
    };
  }
}
