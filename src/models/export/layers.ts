/**
 * The layers of src/nn and src/models/blocks.ts as standard ONNX ops (opset 17), each mirroring the forward of
 * the module whose state-dict prefix it reads:
 *   Linear        y = x Wᵀ + b (fused activation applied after): Gemm(transB) on [B, in], MatMul(x, Wᵀ) + b on more axes
 *   MLP           fc1 … fcN, hidden activation between, output activation after the last
 *   Tower         MLP in → … → 1 (ReLU hidden), reshaped to [B]
 *   ExpertBank    stacked experts fc{l}: weight [E, out, in]; the first layer one Gemm of x against the [E·out, in]
 *                 view, deeper layers a batched MatMul per expert; ReLU after every layer (the gatedMixture kernel's
 *                 fused ReLU is this ReLU). Values here are batch-major [B, E, D].
 *   Gate          Linear (bias optional) or MLP → logits [B, E]
 *   gatedMixture  Softmax over the experts, then Σ_e w_e · f_e as a [B, 1, E] × [B, E, D] MatMul
 *   LayerNorm     LayerNormalization over the last axis (biased variance, eps inside the root, as mtgrad's)
 *   FeatureEncoder  ids → 0 where outside [0, vocabularySize of their field) (one Where over cat), then per field
 *                 its column → Gather on its table;
 *                 numeric: (x − num_mean) / num_std when the encoder has those buffers; Concat on axis 1
 */
import { attr, type GraphBuilder } from '../../io/onnx/graph-builder.js';
import type { WeightReader } from './weights.js';

export interface Lowering {
  g: GraphBuilder;
  w: WeightReader;
}

export type LoweredActivation = 'none' | 'relu' | 'sigmoid' | 'tanh';

export function activation({ g }: Lowering, x: string, a: LoweredActivation): string {
  switch (a) {
    case 'none':
      return x;
    case 'relu':
      return g.op('Relu', [x]);
    case 'sigmoid':
      return g.op('Sigmoid', [x]);
    case 'tanh':
      return g.op('Tanh', [x]);
  }
}

/** nn.Linear at `prefix` (weight [out, in], optional bias) on x of rank `rank`. */
export function linear(l: Lowering, x: string, prefix: string, rank: number, act: LoweredActivation = 'none'): string {
  const { g, w } = l;
  const bias = w.has(`${prefix}.bias`) ? w.float(`${prefix}.bias`, 1).value : null;
  let y: string;
  if (rank === 2) {
    y = g.op(
      'Gemm',
      bias ? [x, w.float(`${prefix}.weight`, 2).value, bias] : [x, w.float(`${prefix}.weight`, 2).value],
      { transB: attr.int(1) },
    );
  } else {
    y = g.op('MatMul', [x, w.transposed(`${prefix}.weight`).value]);
    if (bias) y = g.op('Add', [y, bias]);
  }
  return activation(l, y, act);
}

/** nn.MLP at `prefix`: fc1 … fcN (the layers the checkpoint holds), `hidden` between, `output` after the last. */
export function mlp(
  l: Lowering,
  x: string,
  prefix: string,
  rank: number,
  acts: { hidden: LoweredActivation; output: LoweredActivation },
): string {
  if (!l.w.has(`${prefix}.fc1.weight`))
    throw new Error(`ONNX export: no MLP at '${prefix}' (no '${prefix}.fc1.weight')`);
  let h = x;
  for (let i = 1; l.w.has(`${prefix}.fc${i}.weight`); i++) {
    const last = !l.w.has(`${prefix}.fc${i + 1}.weight`);
    h = linear(l, h, `${prefix}.fc${i}`, rank, last ? acts.output : acts.hidden);
  }
  return h;
}

/** models/blocks Tower at `prefix`: [B, in] → [B]. */
export function tower(l: Lowering, x: string, prefix: string): string {
  const y = mlp(l, x, `${prefix}.net`, 2, { hidden: 'relu', output: 'none' });
  return l.g.op('Reshape', [y, l.g.int64s([-1])]);
}

/** models/blocks Gate at `prefix`: [B, in] → logits [B, E]. */
export function gate(l: Lowering, x: string, prefix: string): string {
  if (l.w.has(`${prefix}.linear.weight`)) return linear(l, x, `${prefix}.linear`, 2);
  return mlp(l, x, `${prefix}.mlp`, 2, { hidden: 'relu', output: 'none' });
}

/** nn.ExpertBank at `prefix` on x [B, in]: every expert's ReLU output, [B, E, D]. */
export function expertBank(l: Lowering, x: string, prefix: string): string {
  const { g, w } = l;
  const [E, out, inF] = w.shape(`${prefix}.fc1.weight`) as [number, number, number];
  const wide = g.op(
    'Gemm',
    [x, w.reshaped(`${prefix}.fc1.weight`, [E * out, inF], '@2d'), w.reshaped(`${prefix}.fc1.bias`, [E * out], '@1d')],
    { transB: attr.int(1) },
  );
  let h = g.op('Relu', [g.op('Reshape', [wide, g.int64s([0, E, out])])]);
  for (let i = 2; w.has(`${prefix}.fc${i}.weight`); i++) {
    const [, o] = w.shape(`${prefix}.fc${i}.weight`) as [number, number, number];
    const expertMajor = g.op('Transpose', [h], { perm: attr.ints([1, 0, 2]) });
    const y = g.op('Add', [
      g.op('MatMul', [expertMajor, w.transposed(`${prefix}.fc${i}.weight`).value]),
      w.reshaped(`${prefix}.fc${i}.bias`, [E, 1, o], '@3d'),
    ]);
    h = g.op('Transpose', [g.op('Relu', [y])], { perm: attr.ints([1, 0, 2]) });
  }
  return h;
}

/** Σ_e softmax(logits)[:, e] · experts[:, e, :] for logits [B, E] and experts [B, E, D] → [B, D]. */
export function gatedMixture({ g }: Lowering, experts: string, logits: string): string {
  const weights = g.op('Softmax', [logits], { axis: attr.int(-1) });
  const mixed = g.op('MatMul', [g.op('Unsqueeze', [weights, g.int64s([1])]), experts]);
  return g.op('Squeeze', [mixed, g.int64s([1])]);
}

/** nn.LayerNorm over the last axis at `prefix` (weight and bias [d]). */
export function layerNorm(l: Lowering, x: string, prefix: string, eps = 1e-5): string {
  return l.g.op(
    'LayerNormalization',
    [x, l.w.float(`${prefix}.weight`, 1).value, l.w.float(`${prefix}.bias`, 1).value],
    { axis: attr.int(-1), epsilon: attr.float(eps) },
  );
}

export interface EncoderFields {
  categorical: readonly { name: string; vocabularySize: number }[];
  numeric: readonly { name: string }[];
}

/** One part per field before the Concat: [B, d] embeddings in field order, then the numeric block [B, nNum]. */
export function encoderParts(
  l: Lowering,
  inputs: { cat: string | null; num: string | null },
  prefix: string,
  fields: EncoderFields,
): { embeddings: string[]; numeric: string | null } {
  const { g, w } = l;
  const embeddings: string[] = [];
  if (fields.categorical.length > 0) {
    if (!inputs.cat) throw new Error('ONNX export: categorical fields without a cat input');
    // Every column at once: ids outside [0, vocabularySize of its field) become 0.
    const sizes = g.constant(
      'int32',
      [fields.categorical.length],
      fields.categorical.map((f) => f.vocabularySize),
    );
    const outside = g.op('Or', [
      g.op('Less', [inputs.cat, g.int32Scalar(0)]),
      g.op('GreaterOrEqual', [inputs.cat, sizes]),
    ]);
    const safe = g.op('Where', [outside, g.int32Scalar(0), inputs.cat]);
    fields.categorical.forEach((f, i) => {
      const ids = g.op('Gather', [safe, g.constant('int64', [], [i])], { axis: attr.int(1) });
      embeddings.push(
        g.op('Gather', [w.float(`${prefix}.embeddings.${f.name}.weight`, 2).value, ids], { axis: attr.int(0) }),
      );
    });
  }
  let numeric: string | null = null;
  if (fields.numeric.length > 0) {
    if (!inputs.num) throw new Error('ONNX export: numeric fields without a num input');
    numeric = inputs.num;
    if (w.has(`${prefix}.num_mean`) || w.has(`${prefix}.num_std`)) {
      numeric = g.op('Div', [
        g.op('Sub', [numeric, w.float(`${prefix}.num_mean`, 1).value]),
        w.float(`${prefix}.num_std`, 1).value,
      ]);
    }
  }
  return { embeddings, numeric };
}

/** nn.FeatureEncoder at `prefix`: [B, Σ dims + nNum]. */
export function encoder(
  l: Lowering,
  inputs: { cat: string | null; num: string | null },
  prefix: string,
  fields: EncoderFields,
): string {
  const { embeddings, numeric } = encoderParts(l, inputs, prefix, fields);
  const parts = numeric ? [...embeddings, numeric] : embeddings;
  return parts.length === 1 ? parts[0]! : l.g.op('Concat', parts, { axis: attr.int(1) });
}
