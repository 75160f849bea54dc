/**
 * Each model of the zoo as an ONNX graph: the outputs of its forward() (logits or values per task), mirrored op by
 * op from the model's source (src/models/<model>.ts), reading its weights by state-dict name. The caller turns the
 * binary tasks' logits into probabilities, as predict() does.
 */
import { attr } from '../../io/onnx/graph-builder.js';
import type { TaskSpec } from '../tasks.js';
import {
  encoder,
  expertBank,
  gate,
  gatedMixture,
  layerNorm,
  linear,
  mlp,
  tower,
  activation,
  type EncoderFields,
  type Lowering,
  type LoweredActivation,
} from './layers.js';

/** The graph's input values: the encoded feature batch (cat/num), a dense x, or RnR's user/item ids. */
export interface GraphInputs {
  cat: string | null;
  num: string | null;
  dense: string | null;
  user: string | null;
  item: string | null;
}

export interface ModelLowering {
  l: Lowering;
  /** The model's normalised config (every default filled in: MultiTaskModel.config). */
  config: Readonly<Record<string, unknown>>;
  tasks: readonly TaskSpec[];
  inputs: GraphInputs;
  /** Feature fields when the config has `features`, else null (dense `inputDim` input). */
  fields: EncoderFields | null;
}

type TaskValues = Record<string, string>;

/** The dense [B, width] input: the FeatureEncoder at `prefix` applied to cat/num, or the dense input itself. */
function encoded(m: ModelLowering, prefix: string): string {
  if (m.fields) return encoder(m.l, m.inputs, prefix, m.fields);
  if (!m.inputs.dense) throw new Error('ONNX export: the model has neither features nor a dense input');
  return m.inputs.dense;
}

function configValue<T>(m: ModelLowering, key: string, check: (v: unknown) => v is T, expected: string): T {
  const v = m.config[key];
  if (!check(v))
    throw new Error(`ONNX export: the model config's '${key}' must be ${expected}, got ${JSON.stringify(v)}`);
  return v;
}
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNameMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string');

function singleTask(m: ModelLowering): TaskValues {
  return Object.fromEntries(
    m.tasks.map((t) => [t.name, tower(m.l, encoded(m, `networks.${t.name}.encoder`), `networks.${t.name}.net`)]),
  );
}

function sharedBottom(m: ModelLowering): TaskValues {
  // The bottom keeps the ReLU on its last layer (a hidden representation); dropout is the identity in eval.
  const h = mlp(m.l, encoded(m, 'encoder'), 'bottom', 2, { hidden: 'relu', output: 'relu' });
  return Object.fromEntries(m.tasks.map((t) => [t.name, tower(m.l, h, `towers.${t.name}`)]));
}

function mmoe(m: ModelLowering): TaskValues {
  const x = encoded(m, 'encoder');
  const experts = expertBank(m.l, x, 'experts');
  return Object.fromEntries(
    m.tasks.map((t) => [
      t.name,
      tower(m.l, gatedMixture(m.l, experts, gate(m.l, x, `gates.${t.name}`)), `towers.${t.name}`),
    ]),
  );
}

function omoe(m: ModelLowering): TaskValues {
  const x = encoded(m, 'encoder');
  const mix = gatedMixture(m.l, expertBank(m.l, x, 'experts'), gate(m.l, x, 'gate'));
  return Object.fromEntries(m.tasks.map((t) => [t.name, tower(m.l, mix, `towers.${t.name}`)]));
}

/** PLE and CGC: extraction levels of task-specific and shared experts (own experts first, then shared). */
function ple(m: ModelLowering): TaskValues {
  const { l } = m;
  const x = encoded(m, 'encoder');
  const names = m.tasks.map((t) => t.name);
  let taskInputs: TaskValues = Object.fromEntries(names.map((k) => [k, x]));
  let sharedInput = x;
  for (let j = 0; l.w.has(`levels.${j}.sharedExperts.fc1.weight`); j++) {
    const p = `levels.${j}`;
    const shared = expertBank(l, sharedInput, `${p}.sharedExperts`);
    const own: TaskValues = {};
    const next: TaskValues = {};
    for (const k of names) {
      own[k] = expertBank(l, taskInputs[k]!, `${p}.taskExperts.${k}`);
      const experts = l.g.op('Concat', [own[k]!, shared], { axis: attr.int(1) });
      next[k] = gatedMixture(l, experts, gate(l, taskInputs[k]!, `${p}.taskGates.${k}`));
    }
    if (l.w.has(`${p}.sharedGate.linear.weight`) || l.w.has(`${p}.sharedGate.mlp.fc1.weight`)) {
      const all = l.g.op('Concat', [...names.map((k) => own[k]!), shared], { axis: attr.int(1) });
      sharedInput = gatedMixture(l, all, gate(l, sharedInput, `${p}.sharedGate`));
    }
    taskInputs = next;
  }
  return Object.fromEntries(names.map((k) => [k, tower(l, taskInputs[k]!, `towers.${k}`)]));
}

function esmm(m: ModelLowering): TaskValues {
  const { g } = m.l;
  const names = configValue(m, 'taskNames', isNameMap, 'an object of task names');
  const x = encoded(m, 'encoder');
  const a = tower(m.l, x, 'ctrTower');
  const b = tower(m.l, x, 'cvrTower');
  // The CTCVR logit, logit(σ(a)·σ(b)) = −logsumexp(−a, −b, −a−b), exactly as productLogit computes it.
  const column = (v: string) => g.op('Unsqueeze', [g.op('Neg', [v]), g.int64s([1])]);
  const stacked = g.op('Concat', [column(a), column(b), column(g.op('Add', [a, b]))], { axis: attr.int(1) });
  const z = g.op('Neg', [g.op('ReduceLogSumExp', [stacked], { axes: attr.ints([1]), keepdims: attr.int(0) })]);
  return { [names.ctr!]: a, [names.cvr!]: b, [names.ctcvr!]: z };
}

function aitm(m: ModelLowering): TaskValues {
  const { l } = m;
  const { g } = l;
  const x = encoded(m, 'encoder');
  const out: TaskValues = {};
  let prevZ: string | null = null;
  for (const t of m.tasks) {
    const p = `tasks.${t.name}`;
    const q = mlp(l, x, `${p}.tower`, 2, { hidden: 'relu', output: 'relu' });
    let z = q;
    if (prevZ) {
      // AIT: u = stack([p, q], 1) [B, 2, k]; w = softmax(⟨h2(u), h3(u)⟩ / √k); z = Σ_u w_u h1(u).
      const transferred = linear(l, prevZ, `${p}.transfer`, 2, 'relu');
      const k = l.w.shape(`${p}.ait.h1.weight`)[0]!;
      const u = g.op(
        'Concat',
        [g.op('Unsqueeze', [transferred, g.int64s([1])]), g.op('Unsqueeze', [q, g.int64s([1])])],
        { axis: attr.int(1) },
      );
      const dot = g.op(
        'ReduceSum',
        [g.op('Mul', [linear(l, u, `${p}.ait.h2`, 3), linear(l, u, `${p}.ait.h3`, 3)]), g.int64s([-1])],
        { keepdims: attr.int(0) },
      );
      const weights = g.op('Softmax', [g.op('Div', [dot, g.scalar(Math.sqrt(k))])], { axis: attr.int(-1) });
      const weighted = g.op('Mul', [linear(l, u, `${p}.ait.h1`, 3), g.op('Unsqueeze', [weights, g.int64s([-1])])]);
      z = g.op('ReduceSum', [weighted, g.int64s([1])], { keepdims: attr.int(0) });
    }
    const y = mlp(l, z, `${p}.head`, 2, { hidden: 'relu', output: 'none' });
    out[t.name] = g.op('Reshape', [y, g.int64s([-1])]);
    prevZ = z;
  }
  return out;
}

function rnr(m: ModelLowering): TaskValues {
  const { l } = m;
  const { g, w } = l;
  const names = configValue(m, 'taskNames', isNameMap, 'an object of task names');
  const act = configValue(
    m,
    'ratingActivation',
    (v): v is LoweredActivation => v === 'none' || v === 'relu' || v === 'tanh',
    "'none', 'relu' or 'tanh'",
  );
  if (!m.inputs.user || !m.inputs.item) throw new Error('ONNX export: rnr needs user and item inputs');
  const lookup = (table: string, ids: string) => g.op('Gather', [w.float(table, 2).value, ids], { axis: attr.int(0) });
  const dot = (a: string, b: string) =>
    g.op('ReduceSum', [g.op('Mul', [a, b]), g.int64s([-1])], { keepdims: attr.int(0) });
  const u = lookup('users.weight', m.inputs.user);
  const v = lookup('items.weight', m.inputs.item);
  const dev = lookup('itemDeviation.weight', m.inputs.item);
  const phi = (e: string) => activation(l, linear(l, e, 'ratingMap', 2), act);
  const rating = g.op('Add', [dot(phi(u), phi(g.op('Add', [v, dev]))), w.float('ratingBias', 1).value]);
  return { [names.rank!]: dot(u, v), [names.rating!]: rating };
}

function mran(m: ModelLowering): TaskValues {
  const { l } = m;
  const { g, w } = l;
  const d = configValue(m, 'tokenDim', isNumber, 'an integer');
  const T = m.tasks.length;
  const nCat = m.fields ? m.fields.categorical.length : 0;
  const nNum = m.fields ? m.fields.numeric.length : w.shape('numericDirections')[0]!;
  // Feature tokens [B, n, d]: the encoder's first nCat·d columns as nCat tokens, then x_j·e_j + b_j per numeric field.
  const x = encoded(m, 'encoder');
  const columns = (from: number, to: number) => g.op('Slice', [x, g.int64s([from]), g.int64s([to]), g.int64s([1])]);
  const parts: string[] = [];
  if (nCat) parts.push(g.op('Reshape', [columns(0, nCat * d), g.int64s([0, nCat, d])]));
  if (nNum) {
    const num = g.op('Reshape', [columns(nCat * d, nCat * d + nNum), g.int64s([0, nNum, 1])]);
    parts.push(
      g.op('Add', [g.op('Mul', [num, w.float('numericDirections', 2).value]), w.float('numericOffsets', 2).value]),
    );
  }
  const F = parts.length === 1 ? parts[0]! : g.op('Concat', parts, { axis: attr.int(1) });
  const scale = g.scalar(Math.sqrt(d));
  const scores = (block: string, queries: string, queryRank: number, keys: string) => {
    const k = g.op('Transpose', [linear(l, keys, `${block}.key`, 3)], { perm: attr.ints([0, 2, 1]) });
    return g.op('Div', [g.op('MatMul', [linear(l, queries, `${block}.query`, queryRank), k]), scale]);
  };
  const value = (block: string, v: string) => linear(l, v, `${block}.value`, 3);
  const aFF = g.op('Softmax', [scores('featureFeature', F, 3, F)], { axis: attr.int(-1) });
  const F2 = layerNorm(l, g.op('Add', [F, g.op('MatMul', [aFF, value('featureFeature', F)])]), 'featureFeature.norm');
  const tokens = w.float('taskTokens', 2).value;
  const aTF = g.op('Softmax', [scores('taskFeature', tokens, 2, F2)], { axis: attr.int(-1) });
  const H = layerNorm(l, g.op('Add', [tokens, g.op('MatMul', [aTF, value('taskFeature', F2)])]), 'taskFeature.norm');
  const R = g.op('Tanh', [scores('taskTask', H, 3, H)]);
  const Z = layerNorm(
    l,
    g.op('Add', [H, g.op('Div', [g.op('MatMul', [R, value('taskTask', H)]), g.scalar(T)])]),
    'taskTask.norm',
  );
  return Object.fromEntries(
    m.tasks.map((t, i) => [
      t.name,
      tower(l, g.op('Gather', [Z, g.constant('int64', [], [i])], { axis: attr.int(1) }), `towers.${t.name}`),
    ]),
  );
}

export const LOWERINGS: Record<string, (m: ModelLowering) => TaskValues> = {
  singleTask,
  sharedBottom,
  mmoe,
  omoe,
  cgc: ple,
  ple,
  esmm,
  aitm,
  rnr,
  mran,
};
