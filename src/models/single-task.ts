/**
 * singleTask — the no-sharing baseline of every MTL paper: each task has its own network (and, with `features`,
 * its own FeatureEncoder), so no parameter receives gradient from more than one task. One model object holds them
 * all only for convenience; it is exactly T independent models trained side by side.
 *
 * Config: inputDim | features, tasks, hiddenDims (per-task MLP hidden widths, default [32, 16]), dropout (0).
 * Network per task: MLP in → hiddenDims… → 1 (ReLU). Outputs: { [task]: [B] } logits or values.
 * Loss: Σ_k weight_k · L_k (independent: each network sees only its own term's gradient).
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { ModuleDict } from '../nn/containers.js';
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
import { Tower } from './blocks.js';
import { MultiTaskModel, type ModelPlacement, type ParamGroups, type TaskTensors } from './multi-task-model.js';

class TaskNetwork extends Module {
  readonly encoder: FeatureEncoder | null;
  readonly net: Tower;
  constructor(
    readonly input: TabularInputSpec,
    hidden: readonly number[],
    dropout: number,
    place: ModelPlacement,
  ) {
    super();
    this.encoder = buildEncoder(input, place);
    if (this.encoder) this.registerModule('encoder', this.encoder);
    this.net = this.registerModule('net', new Tower(inputWidth(input), hidden, place, dropout));
  }
  forward(input: TabularInput): Tensor {
    return this.net.forward(encodeInput('singleTask', this.input, this.encoder, input));
  }
}

export class SingleTask extends MultiTaskModel<TabularInput> {
  readonly modelName = 'singleTask';
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly networks: ModuleDict<TaskNetwork>;
  readonly inputSpec: TabularInputSpec;

  constructor(config: unknown, place: ModelPlacement = {}) {
    super();
    const r = new ConfigReader('singleTask', config);
    const input = readInput(r);
    const tasks = readTasks(r);
    const hiddenDims = r.intArray('hiddenDims', [32, 16]);
    const dropout = r.number('dropout', 0, { min: 0, max: 0.99 });
    r.done();
    this.config = { ...inputConfig(input), tasks: taskConfig(tasks), hiddenDims, dropout };
    this.tasks = tasks;
    this.inputSpec = input;
    this.networks = this.registerModule('networks', new ModuleDict<TaskNetwork>());
    for (const t of tasks) this.networks.set(t.name, new TaskNetwork(input, hiddenDims, dropout, place));
  }

  forward(input: TabularInput): TaskTensors {
    const out: TaskTensors = {};
    for (const t of this.tasks) out[t.name] = this.networks.get(t.name).forward(input);
    return out;
  }

  paramGroups(): ParamGroups {
    const tasks: Record<string, Tensor[]> = {};
    for (const t of this.tasks) tasks[t.name] = this.networks.get(t.name).parameters();
    return { shared: [], tasks, gates: [] };
  }
}
