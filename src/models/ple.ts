/**
 * PLE — Progressive Layered Extraction (Tang, Liu, Zhao, Gong; RecSys 2020), and CGC, its single-level form.
 *
 * Customized Gate Control (one extraction level j; §4.1 eqs. 2–4, §4.2 eqs. 5–6):
 *   task k:   g^{k,j} = w^{k,j}(g^{k,j−1}) · S^{k,j}(g^{k,j−1}),  S^{k,j} = [E_{k,1..m_k}, E_{s,1..m_s}]  (own + shared)
 *             w^{k,j}(x) = softmax(W^{k,j}_g x)  over the m_k + m_s selected experts
 *   shared:   g^{s,j} = w^{s,j}(g^{s,j−1}) · S^{s,j},  S^{s,j} = all experts of the level (every task's + shared)
 *   level 1 takes the input x for every branch (g^{k,0} = g^{s,0} = x); level j > 1 takes the previous level's
 *   fused outputs: task k's experts and gate read g^{k,j−1}, the shared experts and shared gate read g^{s,j−1}.
 *   The shared gate is not built at the last level (nothing reads it). Towers: y_k = t^k(g^{k,N}) (eq. 7).
 * CGC = PLE with one level (so no shared gate at all).
 *
 * Config: inputDim | features, tasks, levels (ple only: >= 1, default 2), specificExperts (per task per level,
 * default 1), sharedExperts (per level, default 1), expertDims (widths of each expert's layers, the same at every
 * level; the last is the expert output, default [16]), towerDims ([8]), gateHiddenDims ([]), gateBias (false),
 * fusedGating (true), towerDropout (0).
 * Outputs: { [task]: [B] } logits or values. Loss: Σ_k weight_k · L_k (the paper's eq. 8 with fixed weights; eq. 9's
 * task-space masks are the `masks` argument).
 * lastGates(): { [task]: last level's task gate [B, m_k + m_s] (own experts first, then shared) } plus every level's
 * gates as `${task}@level${j}` and `shared@level${j}` ([B, T·m_k + m_s]; task experts in task order, then shared).
 *
 * Choices the paper leaves open: the same m_k for every task; gates without bias (the paper's softmax(W x)); ReLU
 * experts keeping their ReLU output. paramGroups puts task k's experts (every level) with its tower under
 * tasks[k]; note that below the last level they also receive gradient from the other tasks through the shared
 * gate (that is PLE's design: the shared branch of level j+1 reads every expert of level j).
 */
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../nn/module.js';
import { ModuleDict, ModuleList } from '../nn/containers.js';
import type { FeatureEncoder } from '../nn/feature-encoder.js';
import { ExpertBank, type ExpertOutputs } from '../nn/expert-bank.js';
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
import { Gate, Tower, concatExperts, mixExperts, readExpertModelKeys, type ExpertModelKeys } from './blocks.js';
import { MultiTaskModel, type ModelPlacement, type ParamGroups, type TaskTensors } from './multi-task-model.js';

interface PleSpec extends ExpertModelKeys {
  input: TabularInputSpec;
  tasks: TaskSpec[];
  levels: number;
  specificExperts: number;
  sharedExperts: number;
}

interface LevelOutput {
  tasks: Record<string, Tensor>;
  shared: Tensor | null;
  weights: Record<string, Tensor>;
}

/** One extraction level: per-task and shared expert banks, a gate per task, and (below the top) the shared gate. */
export class ExtractionLevel extends Module {
  readonly taskExperts: ModuleDict<ExpertBank>;
  readonly sharedExperts: ExpertBank;
  readonly taskGates: ModuleDict<Gate>;
  readonly sharedGate: Gate | null;

  constructor(
    private readonly taskNames: readonly string[],
    inDim: number,
    s: PleSpec,
    withSharedGate: boolean,
    place: ModelPlacement,
  ) {
    super();
    const dims = [inDim, ...s.expertDims];
    const gateOpts = { hidden: s.gateHiddenDims, bias: s.gateBias, ...place };
    this.taskExperts = this.registerModule('taskExperts', new ModuleDict<ExpertBank>());
    for (const k of taskNames) this.taskExperts.set(k, new ExpertBank(s.specificExperts, dims, place));
    this.sharedExperts = this.registerModule('sharedExperts', new ExpertBank(s.sharedExperts, dims, place));
    this.taskGates = this.registerModule('taskGates', new ModuleDict<Gate>());
    for (const k of taskNames) this.taskGates.set(k, new Gate(inDim, s.specificExperts + s.sharedExperts, gateOpts));
    const all = taskNames.length * s.specificExperts + s.sharedExperts;
    this.sharedGate = withSharedGate ? this.registerModule('sharedGate', new Gate(inDim, all, gateOpts)) : null;
  }

  forward(taskInputs: Record<string, Tensor>, sharedInput: Tensor, fused: boolean): LevelOutput {
    const shared = this.sharedExperts.forwardExperts(sharedInput);
    const own: Record<string, ExpertOutputs> = {};
    const out: LevelOutput = { tasks: {}, shared: null, weights: {} };
    for (const k of this.taskNames) {
      own[k] = this.taskExperts.get(k).forwardExperts(taskInputs[k]);
      const mix = mixExperts(concatExperts([own[k], shared]), this.taskGates.get(k).forward(taskInputs[k]), fused);
      out.tasks[k] = mix.out;
      out.weights[k] = mix.weights;
    }
    if (this.sharedGate) {
      const mix = mixExperts(
        concatExperts([...this.taskNames.map((k) => own[k]!), shared]),
        this.sharedGate.forward(sharedInput),
        fused,
      );
      out.shared = mix.out;
      out.weights.shared = mix.weights;
    }
    return out;
  }
}

export class PLE extends MultiTaskModel<TabularInput> {
  readonly modelName: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly encoder: FeatureEncoder | null;
  readonly levels: ModuleList<ExtractionLevel>;
  readonly towers: ModuleDict<Tower>;
  private readonly spec: PleSpec;

  get inputSpec(): TabularInputSpec {
    return this.spec.input;
  }

  /** `variant` 'cgc' fixes levels = 1 and does not accept the `levels` key. */
  constructor(config: unknown, place: ModelPlacement = {}, variant: 'ple' | 'cgc' = 'ple') {
    super();
    this.modelName = variant;
    const r = new ConfigReader(variant, config);
    const spec: PleSpec = {
      input: readInput(r),
      tasks: readTasks(r),
      levels: variant === 'cgc' ? 1 : r.int('levels', 2, { min: 1 }),
      specificExperts: r.int('specificExperts', 1, { min: 1 }),
      sharedExperts: r.int('sharedExperts', 1, { min: 1 }),
      ...readExpertModelKeys(r),
    };
    r.done();
    this.spec = spec;
    const { input, levels, ...rest } = spec;
    this.config = {
      ...inputConfig(input),
      ...(variant === 'ple' ? { levels } : {}),
      ...rest,
      tasks: taskConfig(spec.tasks),
    };
    this.tasks = spec.tasks;
    this.encoder = buildEncoder(input, place);
    if (this.encoder) this.registerModule('encoder', this.encoder);
    const names = spec.tasks.map((t) => t.name);
    const d = spec.expertDims[spec.expertDims.length - 1];
    this.levels = this.registerModule('levels', new ModuleList<ExtractionLevel>());
    for (let j = 0; j < levels; j++) {
      this.levels.append(new ExtractionLevel(names, j === 0 ? inputWidth(input) : d, spec, j < levels - 1, place));
    }
    this.towers = this.registerModule('towers', new ModuleDict<Tower>());
    for (const t of spec.tasks) this.towers.set(t.name, new Tower(d, spec.towerDims, place, spec.towerDropout));
  }

  forward(input: TabularInput): TaskTensors {
    const x = encodeInput(this.modelName, this.spec.input, this.encoder, input);
    let taskInputs: Record<string, Tensor> = Object.fromEntries(this.tasks.map((t) => [t.name, x]));
    let sharedInput: Tensor = x;
    const gates: Record<string, Tensor> = {};
    this.levels.map((level, j) => {
      const o = level.forward(taskInputs, sharedInput, this.spec.fusedGating);
      for (const [k, w] of Object.entries(o.weights)) gates[`${k}@level${j + 1}`] = w;
      taskInputs = o.tasks;
      if (o.shared) sharedInput = o.shared;
    });
    const out: TaskTensors = {};
    for (const t of this.tasks) {
      out[t.name] = this.towers.get(t.name).forward(taskInputs[t.name]);
      gates[t.name] = gates[`${t.name}@level${this.spec.levels}`];
    }
    this.recordGates(gates);
    return out;
  }

  paramGroups(): ParamGroups {
    const tasks: Record<string, Tensor[]> = {};
    for (const t of this.tasks) {
      tasks[t.name] = [
        ...[...this.levels].flatMap((l) => l.taskExperts.get(t.name).parameters()),
        ...this.towers.get(t.name).parameters(),
      ];
    }
    return {
      shared: [...(this.encoder?.parameters() ?? []), ...[...this.levels].flatMap((l) => l.sharedExperts.parameters())],
      tasks,
      gates: [...this.levels].flatMap((l) => [...l.taskGates.parameters(), ...(l.sharedGate?.parameters() ?? [])]),
    };
  }
}
