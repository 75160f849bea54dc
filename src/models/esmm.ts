/**
 * ESMM — Entire Space Multi-task Model (Ma, Zhao, Huang, Wang, Hu, Zhu, Gai; SIGIR 2018).
 *
 *   a = CTR tower(x), b = CVR tower(x), both reading one shared embedding of the features (the model's
 *   FeatureEncoder with `features`; with `inputDim` the caller's dense input plays that role);
 *   pCTR = σ(a), pCVR = σ(b) = p(conversion | click, x), pCTCVR = pCTR × pCVR                       (eq. 1)
 *   L = Σ_i BCE(click_i, pCTR_i) + Σ_i BCE(click_i ∧ conversion_i, pCTCVR_i) over ALL impressions    (eq. 3)
 *   — no loss on pCVR itself: it is learnt in the entire space through pCTCVR.
 *
 * Stability: the CTCVR output is the exact logit of pCTCVR, z = log p − log(1−p), computed as
 *   z = −log(e^{−a} + e^{−b} + e^{−a−b})   (a logsumexp),
 * since 1 − σ(a)σ(b) = (e^{−a} + e^{−b} + e^{−a−b})·σ(a)σ(b). BCE on that logit is the log-space BCE
 * −[y (log σ(a) + log σ(b)) + (1−y) log(1 − σ(a)σ(b))]: log σ(z) = log σ(a) + log σ(b) exactly, and nothing
 * underflows when the product is tiny (a naive BCE on σ(a)·σ(b) loses it to the −100 log clamp).
 *
 * Config: inputDim | features, ctrTowerDims and cvrTowerDims (hidden widths; default [360, 200, 80], the paper's
 * MLP), towerDropout (0), stopGradientCtrInCtcvr (false = the paper; true detaches a inside pCTCVR so the CTCVR
 * loss trains only the CVR tower and the embeddings), taskNames ({ ctr: 'ctr', cvr: 'cvr', ctcvr: 'ctcvr' }: the
 * output keys, also the label keys the loss reads).
 * Outputs: { ctr: a, cvr: b, ctcvr: z }, all logits [B]; predict gives pCTR, pCVR and pCTCVR.
 * Labels for loss: ctr = click, ctcvr = click ∧ conversion, both on every impression (masks optional). The cvr
 * task is `supervised: false`: taskLosses returns the paper's two losses only, and training needs no cvr label.
 */
import type { Tensor } from '../tensor/tensor.js';
import { stopGradient } from '../autograd/record.js';
import { add, neg } from '../ops/elementwise.js';
import { logsumexp } from '../ops/reduce.js';
import { stack } from '../ops/shape.js';
import type { FeatureEncoder } from '../nn/feature-encoder.js';
import { ConfigReader, NAME_PATTERN, nestedReader } from './config.js';
import {
  buildEncoder,
  encodeInput,
  inputConfig,
  inputWidth,
  readInput,
  type TabularInput,
  type TabularInputSpec,
} from './inputs.js';
import type { TaskSpec } from './tasks.js';
import { Tower } from './blocks.js';
import { MultiTaskModel, type ModelPlacement, type ParamGroups, type TaskTensors } from './multi-task-model.js';

export interface CascadeNames {
  ctr: string;
  cvr: string;
  ctcvr: string;
}

export function readTaskNames<K extends string>(r: ConfigReader, defaults: Record<K, string>): Record<K, string> {
  if (!r.has('taskNames')) {
    r.raw('taskNames');
    return { ...defaults };
  }
  const t: ConfigReader = nestedReader(r, 'taskNames', r.raw('taskNames'));
  const out = {} as Record<K, string>;
  for (const k of Object.keys(defaults) as K[]) {
    const v = t.has(k) ? t.raw(k) : defaults[k];
    if (typeof v !== 'string' || !NAME_PATTERN.test(v))
      t.fail(k, 'a name of letters, digits and _ starting with a letter', v);
    out[k] = v;
  }
  t.done();
  if (new Set(Object.values(out)).size !== Object.keys(out).length)
    r.fail('taskNames', 'distinct names', Object.values(out).join(', '));
  return out;
}

/** The CTCVR logit: logit(σ(a)·σ(b)) = −logsumexp(−a, −b, −a−b), exact and stable. */
export function productLogit(a: Tensor, b: Tensor): Tensor {
  return neg(logsumexp(stack([neg(a), neg(b), neg(add(a, b))], 1), 1));
}

export class ESMM extends MultiTaskModel<TabularInput> {
  readonly modelName = 'esmm';
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly names: CascadeNames;
  readonly encoder: FeatureEncoder | null;
  readonly ctrTower: Tower;
  readonly cvrTower: Tower;
  readonly inputSpec: TabularInputSpec;
  private readonly stopCtr: boolean;

  constructor(config: unknown, place: ModelPlacement = {}) {
    super();
    const r = new ConfigReader('esmm', config);
    const input = readInput(r);
    const ctrTowerDims = r.intArray('ctrTowerDims', [360, 200, 80]);
    const cvrTowerDims = r.intArray('cvrTowerDims', [360, 200, 80]);
    const towerDropout = r.number('towerDropout', 0, { min: 0, max: 0.99 });
    const stopGradientCtrInCtcvr = r.boolean('stopGradientCtrInCtcvr', false);
    const names = readTaskNames<keyof CascadeNames>(r, { ctr: 'ctr', cvr: 'cvr', ctcvr: 'ctcvr' });
    r.done();
    this.inputSpec = input;
    this.names = names;
    this.stopCtr = stopGradientCtrInCtcvr;
    this.config = {
      ...inputConfig(input),
      ctrTowerDims,
      cvrTowerDims,
      towerDropout,
      stopGradientCtrInCtcvr,
      taskNames: { ...names },
    };
    // pCVR has no loss of its own (it is learnt through pCTCVR), so it needs no label.
    this.tasks = [
      { name: names.ctr, kind: 'binary', weight: 1 },
      { name: names.cvr, kind: 'binary', weight: 1, supervised: false },
      { name: names.ctcvr, kind: 'binary', weight: 1 },
    ];
    this.encoder = buildEncoder(input, place);
    if (this.encoder) this.registerModule('encoder', this.encoder);
    const w = inputWidth(input);
    this.ctrTower = this.registerModule('ctrTower', new Tower(w, ctrTowerDims, place, towerDropout));
    this.cvrTower = this.registerModule('cvrTower', new Tower(w, cvrTowerDims, place, towerDropout));
  }

  forward(input: TabularInput): TaskTensors {
    const x = encodeInput('esmm', this.inputSpec, this.encoder, input);
    const a = this.ctrTower.forward(x);
    const b = this.cvrTower.forward(x);
    const z = productLogit(this.stopCtr ? stopGradient(a) : a, b);
    return { [this.names.ctr]: a, [this.names.cvr]: b, [this.names.ctcvr]: z };
  }

  paramGroups(): ParamGroups {
    return {
      shared: this.encoder?.parameters() ?? [],
      tasks: {
        [this.names.ctr]: this.ctrTower.parameters(),
        [this.names.cvr]: this.cvrTower.parameters(),
        [this.names.ctcvr]: [],
      },
      gates: [],
    };
  }
}
