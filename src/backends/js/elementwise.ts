/** Elementwise kernels over typed arrays: unary maps, broadcasting binary ops, where, cast. */
import type { BinaryOp, DType, Shape, TypedArray, UnaryArgs, UnaryOp } from '../kernels.js';
import { binaryFunction, unaryFunction } from './scalar.js';
import { broadcastStrides, walkRows } from './shape.js';

export function unaryKernel(op: UnaryOp, x: TypedArray, out: TypedArray, dtype: DType, args?: UnaryArgs): void {
  const f = unaryFunction(op, dtype, args);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!);
}

/** out (dense, outShape) = op(a, b) with a and b read through broadcast strides. */
export function binaryKernel(
  op: BinaryOp,
  a: TypedArray,
  b: TypedArray,
  aShape: Shape,
  bShape: Shape,
  outShape: Shape,
  out: TypedArray,
  dtype: DType,
): void {
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const f = binaryFunction(op, dtype);
  if (a.length === out.length && b.length === out.length) {
    for (let i = 0; i < out.length; i++) out[i] = f(a[i]!, b[i]!);
    return;
  }
  const last = outShape.length - 1;
  const ia = last >= 0 ? sa[last]! : 0;
  const ib = last >= 0 ? sb[last]! : 0;
  walkRows(outShape, [sa, sb], [0, 0], (o, len, [pa, pb]) => {
    let ja = pa!,
      jb = pb!;
    for (let j = 0; j < len; j++, ja += ia, jb += ib) out[o + j] = f(a[ja]!, b[jb]!);
  });
}

/** out = cond != 0 ? a : b, every input broadcast to outShape. */
export function whereKernel(
  cond: TypedArray,
  a: TypedArray,
  b: TypedArray,
  condShape: Shape,
  aShape: Shape,
  bShape: Shape,
  outShape: Shape,
  out: TypedArray,
): void {
  const sc = broadcastStrides(condShape, outShape);
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const last = outShape.length - 1;
  const ic = last >= 0 ? sc[last]! : 0;
  const ia = last >= 0 ? sa[last]! : 0;
  const ib = last >= 0 ? sb[last]! : 0;
  walkRows(outShape, [sc, sa, sb], [0, 0, 0], (o, len, [pc, pa, pb]) => {
    let jc = pc!,
      ja = pa!,
      jb = pb!;
    // NaN counts as "!= 0" (true), as in C and torch.
    for (let j = 0; j < len; j++, jc += ic, ja += ia, jb += ib) out[o + j] = cond[jc] !== 0 ? a[ja]! : b[jb]!;
  });
}

/**
 * Conversion by the typed-array store rules: to float32 rounds to nearest; to int32 truncates toward zero
 * (NaN → 0, out-of-range values wrap modulo 2³², where C leaves them undefined).
 */
export function castKernel(x: TypedArray, out: TypedArray): void {
  out.set(x);
}
