/**
 * sharedBottom — hard parameter sharing (Caruana 1997; the baseline of the MMoE paper, eq. 1): y_k = h^k(f(x))
 * with one shared bottom network f and one tower h^k per task.
 *
 * Config: inputDim | features, tasks, bottomDims (shared MLP widths, all ReLU, default [32]), towerDims (hidden
 * widths of each tower, default [8]), dropout (after each bottom layer, 0), towerDropout (0).
 * Outputs: { [task]: [B] } logits or values. Loss: Σ_k weight_k · L_k.
 */
import type { Tensor } from '../tensor/tensor.js';
import { ModuleDict } from '../nn/containers.js';
import type { FeatureEncoder } from '../nn/feature-encoder.js';
import { MLP } from '../nn/mlp.js';
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
import { Tower } from './blocks.js';
import { MultiTaskModel, type ModelPlacement, type ParamGroups, type TaskTensors } from './multi-task-model.js';
import { Dropout } from '../nn/dropout.js';

export class SharedBottom extends MultiTaskModel<TabularInput> {
  readonly modelName = 'sharedBottom';
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly encoder: FeatureEncoder | null;
  readonly bottom: MLP;
  readonly bottomDropout: Dropout;
  readonly towers: ModuleDict<Tower>;
  readonly inputSpec: TabularInputSpec;

  constructor(config: unknown, place: ModelPlacement = {}) {
    super();
    const r = new ConfigReader('sharedBottom', config);
    const input = readInput(r);
    const tasks = readTasks(r);
    const bottomDims = r.intArray('bottomDims', [32], { minLength: 1 });
    const towerDims = r.intArray('towerDims', [8]);
    const dropout = r.number('dropout', 0, { min: 0, max: 0.99 });
    const towerDropout = r.number('towerDropout', 0, { min: 0, max: 0.99 });
    r.done();
    this.inputSpec = input;
    this.config = { ...inputConfig(input), tasks: taskConfig(tasks), bottomDims, towerDims, dropout, towerDropout };
    this.tasks = tasks;
    this.encoder = buildEncoder(input, place);
    if (this.encoder) this.registerModule('encoder', this.encoder);
    // The bottom's output is a hidden representation: ReLU on its last layer too.
    this.bottom = this.registerModule(
      'bottom',
      new MLP([inputWidth(input), ...bottomDims], { ...place, activation: 'relu', outputActivation: 'relu', dropout }),
    );
    this.bottomDropout = this.registerModule('bottomDropout', new Dropout(dropout));
    this.towers = this.registerModule('towers', new ModuleDict<Tower>());
    for (const t of tasks)
      this.towers.set(t.name, new Tower(bottomDims[bottomDims.length - 1], towerDims, place, towerDropout));
  }

  forward(input: TabularInput): TaskTensors {
    const h = this.bottomDropout.forward(
      this.bottom.forward(encodeInput('sharedBottom', this.inputSpec, this.encoder, input)),
    );
    const out: TaskTensors = {};
    for (const t of this.tasks) out[t.name] = this.towers.get(t.name).forward(h);
    return out;
  }

  paramGroups(): ParamGroups {
    const tasks: Record<string, Tensor[]> = {};
    for (const t of this.tasks) tasks[t.name] = this.towers.get(t.name).parameters();
    return { shared: [...(this.encoder?.parameters() ?? []), ...this.bottom.parameters()], tasks, gates: [] };
  }
}
