/**
 * In-place optimizer updates, elementwise and written to match torch.optim (SGD, Adam/AdamW, Adagrad; no
 * amsgrad/maximize) operation for operation. Each update runs over element ranges: the whole buffer, or
 * only the selected rows for the lazy (sparse) update of embedding tables.
 */
import type { AdagradParams, AdamParams, SgdParams, TypedArray } from '../kernels.js';

/** Half-open element ranges [start, end) to update: all of it, or rows·rowSize blocks. */
export type ElementRanges = (visit: (start: number, end: number) => void) => void;

export function allElements(size: number): ElementRanges {
  return (visit) => visit(0, size);
}

/**
 * The selected rows (unique rows are the caller's contract; rowSize is checked before dispatch, ../checks.ts; the
 * rows' bounds, which need the data, here). A row of -1 (SKIP_ROW) is padding of a fixed-length row list (what a
 * captured step passes) and is skipped; any other row outside [0, rowCount) is an error.
 */
export function selectedRows(kernel: string, rows: Int32Array, rowSize: number, size: number): ElementRanges {
  const rowCount = size / rowSize;
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j]!;
    if (r !== -1 && (r < 0 || r >= rowCount))
      throw new Error(`${kernel}: row ${r} (at position ${j}) out of range [0, ${rowCount}) (-1: padding, skipped)`);
  }
  return (visit) => {
    for (let j = 0; j < rows.length; j++) if (rows[j]! !== -1) visit(rows[j]! * rowSize, (rows[j]! + 1) * rowSize);
  };
}

/**
 * torch.optim.SGD: d = g + wd·p; buf = firstStep ? d : momentum·buf + (1−dampening)·d;
 * d = nesterov ? d + momentum·buf : buf; p −= lr·d.
 */
export function sgdKernel(
  param: TypedArray,
  grad: TypedArray,
  buf: TypedArray | null,
  p: SgdParams,
  ranges: ElementRanges,
): void {
  const { lr, momentum, dampening, nesterov, weightDecay, firstStep } = p;
  ranges((start, end) => {
    for (let i = start; i < end; i++) {
      let d = grad[i]!;
      if (weightDecay !== 0) d += weightDecay * param[i]!;
      if (momentum !== 0) {
        const b = firstStep ? d : momentum * buf![i]! + (1 - dampening) * d;
        buf![i] = b;
        // Read back what was stored so float32 state rounds exactly where torch's would.
        const stored = buf![i]!;
        d = nesterov ? d + momentum * stored : stored;
      }
      param[i] = param[i]! - lr * d;
    }
  });
}

/** torch.lerp(start, end, weight): the two-sided form torch uses for better accuracy near weight = 1. */
function lerp(start: number, end: number, weight: number): number {
  return weight < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight);
}

/**
 * torch.optim.Adam / AdamW: (AdamW) p *= 1 − lr·wd, (Adam) g += wd·p; m = lerp(m, g, 1−β1);
 * v = β2·v + (1−β2)·g²; p −= (lr / (1−β1ᵗ))·m / (√v / √(1−β2ᵗ) + eps).
 */
export function adamKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  v: TypedArray,
  p: AdamParams,
  ranges: ElementRanges,
): void {
  const { lr, beta1, beta2, eps, weightDecay, decoupled, step } = p;
  const stepSize = lr / (1 - beta1 ** step);
  const sqrtBiasCorrection2 = Math.sqrt(1 - beta2 ** step);
  ranges((start, end) => {
    for (let i = start; i < end; i++) {
      let g = grad[i]!;
      if (weightDecay !== 0) {
        if (decoupled) param[i] = param[i]! * (1 - lr * weightDecay);
        else g += weightDecay * param[i]!;
      }
      m[i] = lerp(m[i]!, g, 1 - beta1);
      v[i] = v[i]! * beta2 + (1 - beta2) * g * g;
      const denom = Math.sqrt(v[i]!) / sqrtBiasCorrection2 + eps;
      param[i] = param[i]! - stepSize * (m[i]! / denom);
    }
  });
}

/**
 * torch.optim.Adagrad: g += wd·p; clr = lr / (1 + (step−1)·lrDecay); sum += g²; p −= clr·g / (√sum + eps).
 * `step` is 1-based (torch increments its step count before using it).
 */
export function adagradKernel(
  param: TypedArray,
  grad: TypedArray,
  sum: TypedArray,
  p: AdagradParams,
  ranges: ElementRanges,
): void {
  const { lr, eps, weightDecay, lrDecay, step } = p;
  const clr = lr / (1 + (step - 1) * lrDecay);
  ranges((start, end) => {
    for (let i = start; i < end; i++) {
      let g = grad[i]!;
      if (weightDecay !== 0) g += weightDecay * param[i]!;
      sum[i] = sum[i]! + g * g;
      param[i] = param[i]! - clr * (g / (Math.sqrt(sum[i]!) + eps));
    }
  });
}
