/**
 * Fused kernels: (log-)softmax, the gated mixture of experts forward/backward, and binary cross-entropy with
 * logits. Fusing keeps the reference numerically stable (max subtraction, log1p forms) in one pass per row.
 */
import type { TypedArray } from '../kernels.js';
import { sigmoid } from './scalar.js';

/** Softmax (or log-softmax) of each row of x [rows, n], shifted by the row max so exp never overflows. */
export function softmaxKernel(x: TypedArray, rows: number, n: number, log: boolean, out: TypedArray): void {
  if (x.length !== rows * n) throw new Error(`softmax: x has ${x.length} elements, expected rows·n = ${rows}·${n}`);
  for (let r = 0; r < rows; r++) softmaxRow(x, r * n, n, log, out, r * n);
}

function softmaxRow(x: ArrayLike<number>, from: number, n: number, log: boolean, out: { [i: number]: number }, to: number): void {
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

function checkMixture(kernel: string, experts: TypedArray, e: number, b: number, d: number): void {
  if (experts.length !== e * b * d) throw new Error(`${kernel}: experts has ${experts.length} elements, expected E·B·D = ${e}·${b}·${d}`);
}

/** weights = softmax(gateLogits [B, E]); out[b, :] = Σ_e weights[b, e]·experts[e, b, :]. */
export function gatedMixtureKernel(
  experts: TypedArray, gateLogits: TypedArray, e: number, b: number, d: number, out: TypedArray, weights: TypedArray,
): void {
  checkMixture('gatedMixture', experts, e, b, d);
  if (gateLogits.length !== b * e) throw new Error(`gatedMixture: gateLogits has ${gateLogits.length} elements, expected B·E = ${b}·${e}`);
  const w = new Float64Array(e);
  const acc = new Float64Array(d);
  for (let r = 0; r < b; r++) {
    // Weights are used at full double precision here, then rounded on store, as a float64 reference should.
    softmaxRow(gateLogits, r * e, e, false, w, 0);
    acc.fill(0);
    for (let x = 0; x < e; x++) {
      const wx = w[x]!;
      const row = (x * b + r) * d;
      for (let j = 0; j < d; j++) acc[j] += wx * experts[row + j]!;
      weights[r * e + x] = wx;
    }
    for (let j = 0; j < d; j++) out[r * d + j] = acc[j]!;
  }
}

/**
 * gExperts[e, b, :] = weights[b, e]·gOut[b, :];
 * gLogits[b, e] = weights[b, e]·(⟨gOut[b], experts[e, b]⟩ − Σ_e' weights[b, e']·⟨gOut[b], experts[e', b]⟩).
 */
export function gatedMixtureBackwardKernel(
  gOut: TypedArray, experts: TypedArray, weights: TypedArray, e: number, b: number, d: number,
  gExperts: TypedArray, gLogits: TypedArray,
): void {
  checkMixture('gatedMixtureBackward', experts, e, b, d);
  if (gOut.length !== b * d) throw new Error(`gatedMixtureBackward: gOut has ${gOut.length} elements, expected B·D = ${b}·${d}`);
  if (weights.length !== b * e) throw new Error(`gatedMixtureBackward: weights has ${weights.length} elements, expected B·E = ${b}·${e}`);
  const dots = new Float64Array(e);
  for (let r = 0; r < b; r++) {
    const g = r * d;
    let mean = 0;
    for (let x = 0; x < e; x++) {
      const wx = weights[r * e + x]!;
      const row = (x * b + r) * d;
      let dot = 0;
      for (let j = 0; j < d; j++) {
        dot += gOut[g + j]! * experts[row + j]!;
        gExperts[row + j] = wx * gOut[g + j]!;
      }
      dots[x] = dot;
      mean += wx * dot;
    }
    for (let x = 0; x < e; x++) gLogits[r * e + x] = weights[r * e + x]! * (dots[x]! - mean);
  }
}

function checkPair(kernel: string, logits: TypedArray, targets: TypedArray): void {
  if (logits.length !== targets.length) throw new Error(`${kernel}: logits has ${logits.length} elements, targets ${targets.length}`);
}

/** max(x, 0) − x·y + log1p(e^−|x|): never exponentiates a positive number. */
export function bceWithLogitsKernel(logits: TypedArray, targets: TypedArray, out: TypedArray): void {
  checkPair('bceWithLogits', logits, targets);
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i]!, y = targets[i]!;
    out[i] = Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
  }
}

export function bceWithLogitsGradKernel(logits: TypedArray, targets: TypedArray, out: TypedArray): void {
  checkPair('bceWithLogitsGrad', logits, targets);
  for (let i = 0; i < logits.length; i++) out[i] = sigmoid(logits[i]!) - targets[i]!;
}
