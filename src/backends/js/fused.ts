/**
 * Fused kernels: (log-)softmax, the gated mixture of experts forward/backward, and binary cross-entropy with
 * logits. Fusing keeps the reference numerically stable (max subtraction, log1p forms) in one pass per row.
 */
import type { MixtureParams, TypedArray } from '../kernels.js';
import { relu, sigmoid } from './scalar.js';

/** Softmax (or log-softmax) of each row of x [rows, n], shifted by the row max so exp never overflows. */
export function softmaxKernel(x: TypedArray, rows: number, n: number, log: boolean, out: TypedArray): void {
  for (let r = 0; r < rows; r++) softmaxRow(x, r * n, n, log, out, r * n);
}

function softmaxRow(
  x: ArrayLike<number>,
  from: number,
  n: number,
  log: boolean,
  out: { [i: number]: number },
  to: number,
): void {
  let max = -Infinity;
  for (let j = 0; j < n; j++) max = Math.max(max, x[from + j]!);
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(x[from + j]! - max);
  if (log) {
    const logSum = Math.log(sum);
    for (let j = 0; j < n; j++) out[to + j] = x[from + j]! - max - logSum;
  } else {
    for (let j = 0; j < n; j++) out[to + j] = Math.exp(x[from + j]! - max) / sum;
  }
}

/** The element offset of expert e's row b for the layout (see MixtureParams). */
export function expertRowOffset(p: MixtureParams, e: number, b: number): number {
  return (p.layout === 'EBD' ? e * p.b + b : b * p.e + e) * p.d;
}

/** What the mixture reads an expert value as (MixtureParams.activation). */
function expertActivation(p: MixtureParams): (v: number) => number {
  return p.activation === 'relu' ? relu : (v) => v;
}

/** weights[t, b, :] = softmax(gateLogits[t, b, :]); out[t, b, :] = Σ_e weights[t, b, e]·x[e, b, :]. */
export function gatedMixtureKernel(
  experts: TypedArray,
  gateLogits: TypedArray,
  p: MixtureParams,
  out: TypedArray,
  weights: TypedArray,
): void {
  const { e, b, d, t } = p;
  const act = expertActivation(p);
  const w = new Float64Array(e);
  const acc = new Float64Array(d);
  for (let task = 0; task < t; task++) {
    for (let r = 0; r < b; r++) {
      const row = task * b + r;
      // Weights are used at full double precision here, then rounded on store, as a float64 reference should.
      softmaxRow(gateLogits, row * e, e, false, w, 0);
      acc.fill(0);
      for (let x = 0; x < e; x++) {
        const wx = w[x]!;
        const from = expertRowOffset(p, x, r);
        for (let j = 0; j < d; j++) acc[j] += wx * act(experts[from + j]!);
        weights[row * e + x] = wx;
      }
      for (let j = 0; j < d; j++) out[row * d + j] = acc[j]!;
    }
  }
}

/**
 * gExperts x[e, b, :] = Σ_t weights[t, b, e]·gOut[t, b, :];
 * gLogits[t, b, e] = weights[t, b, e]·(⟨gOut[t, b], x[e, b]⟩ − Σ_e' weights[t, b, e']·⟨gOut[t, b], x[e', b]⟩).
 */
export function gatedMixtureBackwardKernel(
  gOut: TypedArray,
  experts: TypedArray,
  weights: TypedArray,
  p: MixtureParams,
  gExperts: TypedArray,
  gLogits: TypedArray,
): void {
  const { e, b, d, t } = p;
  const act = expertActivation(p),
    relu = p.activation === 'relu';
  const dots = new Float64Array(e);
  const acc = new Float64Array(d);
  for (let r = 0; r < b; r++) {
    for (let x = 0; x < e; x++) {
      const from = expertRowOffset(p, x, r);
      acc.fill(0);
      for (let task = 0; task < t; task++) {
        const wx = weights[(task * b + r) * e + x]!,
          g = (task * b + r) * d;
        for (let j = 0; j < d; j++) acc[j] += wx * gOut[g + j]!;
      }
      // relu'(v) = 1 for v > 0 (and NaN passes, as through the relu op), 0 for v ≤ 0.
      for (let j = 0; j < d; j++) gExperts[from + j] = relu && experts[from + j]! <= 0 ? 0 : acc[j]!;
    }
    for (let task = 0; task < t; task++) {
      const row = task * b + r,
        g = row * d;
      let mean = 0;
      for (let x = 0; x < e; x++) {
        const from = expertRowOffset(p, x, r);
        let dot = 0;
        for (let j = 0; j < d; j++) dot += gOut[g + j]! * act(experts[from + j]!);
        dots[x] = dot;
        mean += weights[row * e + x]! * dot;
      }
      for (let x = 0; x < e; x++) gLogits[row * e + x] = weights[row * e + x]! * (dots[x]! - mean);
    }
  }
}

/** max(x, 0) − x·y + log1p(e^−|x|): never exponentiates a positive number. */
export function bceWithLogitsKernel(logits: TypedArray, targets: TypedArray, out: TypedArray): void {
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i]!,
      y = targets[i]!;
    out[i] = Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
  }
}

export function bceWithLogitsGradKernel(logits: TypedArray, targets: TypedArray, out: TypedArray): void {
  for (let i = 0; i < logits.length; i++) out[i] = sigmoid(logits[i]!) - targets[i]!;
}
