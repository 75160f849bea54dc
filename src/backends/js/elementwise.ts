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

/**
 * The binary ops whose float result is one IEEE operation on the two operands: computed in double and stored to a
 * Float32Array they round to exactly the float32 result C gives (+ − × ÷ are correctly rounded in both, and double
 * has more than 2·24+2 bits), and comparisons are exact. So this loop is bit-identical to the native kernel.
 */
const EXACT_FLOAT_BINARY: ReadonlySet<BinaryOp> = new Set([
  'add',
  'sub',
  'mul',
  'div',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
]);

/**
 * The fast path of small eager ops: out = op(a, b) for float arrays where each operand is either dense (out's
 * length) or a single element (a broadcast scalar), with the op chosen once outside the loop. Returns false, having
 * written nothing, when the op or the operand layout is not one it handles (the caller runs the general kernel).
 */
export function denseFloatBinaryKernel(op: BinaryOp, a: TypedArray, b: TypedArray, out: TypedArray): boolean {
  const n = out.length;
  const sa = a.length === n ? 1 : a.length === 1 ? 0 : -1;
  const sb = b.length === n ? 1 : b.length === 1 ? 0 : -1;
  if (sa < 0 || sb < 0 || !EXACT_FLOAT_BINARY.has(op)) return false;
  if (sa === 1 && sb === 1) {
    switch (op) {
      case 'add':
        for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
        return true;
      case 'sub':
        for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
        return true;
      case 'mul':
        for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
        return true;
      case 'div':
        for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
        return true;
      default:
        break;
    }
  }
  // One inline loop per op (a per-element call through binaryFunction's closure costs several ns an element).
  switch (op) {
    case 'add':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! + b[ib]!;
      return true;
    case 'sub':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! - b[ib]!;
      return true;
    case 'mul':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! * b[ib]!;
      return true;
    case 'div':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! / b[ib]!;
      return true;
    case 'eq':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! === b[ib]! ? 1 : 0;
      return true;
    case 'ne':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! !== b[ib]! ? 1 : 0;
      return true;
    case 'lt':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! < b[ib]! ? 1 : 0;
      return true;
    case 'le':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! <= b[ib]! ? 1 : 0;
      return true;
    case 'gt':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! > b[ib]! ? 1 : 0;
      return true;
    case 'ge':
      for (let i = 0, ia = 0, ib = 0; i < n; i++, ia += sa, ib += sb) out[i] = a[ia]! >= b[ib]! ? 1 : 0;
      return true;
    default:
      return false;
  }
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
