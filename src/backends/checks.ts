/**
 * Kernel-argument checks, run once for every backend by the validating layer (checked.ts) before a kernel is
 * dispatched, with one wording: a bad call throws an Error naming the kernel and the values, and never reaches a
 * typed-array loop, native code or a GPU dispatch. What needs the data itself (index ranges, the rows of a sparse
 * optimizer update) is checked by each backend where it reads the data.
 */
import type {
  AdagradParams,
  AdamParams,
  DType,
  MatmulParams,
  MixtureParams,
  RandomParams,
  ReduceOp,
  RowSelection,
  SgdParams,
  Shape,
  Storage,
  UnaryOp,
} from './kernels.js';
import { sizeOf } from './shape.js';

const TWO_POW_32 = 4294967296;
const FLOATS: readonly DType[] = ['float32', 'float64'];
const INT32_UNARY: ReadonlySet<UnaryOp> = new Set(['neg', 'abs', 'sign', 'square']);
const ACTIVATIONS: readonly string[] = ['none', 'relu', 'sigmoid', 'tanh', 'gelu'];

const fmt = (shape: Shape): string => `[${shape.join(',')}]`;

export function checkCount(kernel: string, what: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${kernel}: ${what} = ${v} must be a non-negative integer`);
}

/** The one "wrong element count" check: `formula` (e.g. 'outer·n·inner = 2·3·4') says where `expected` comes from. */
export function checkElements(kernel: string, what: string, actual: number, expected: number, formula?: string): void {
  if (actual !== expected) {
    throw new Error(`${kernel}: ${what} has ${actual} elements, expected ${formula ? `${formula} = ` : ''}${expected}`);
  }
}

export function checkShape(kernel: string, what: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new Error(`${kernel}: ${what} has invalid dimension ${d} in ${fmt(shape)}`);
  }
}

/** A storage holding exactly the elements of `shape`. */
function checkShaped(kernel: string, what: string, s: Storage, shape: Shape): void {
  checkShape(kernel, what, shape);
  const n = sizeOf(shape);
  if (s.size !== n) checkElements(kernel, `${what} (shape ${fmt(shape)})`, s.size, n); // message built only to throw
}

export function checkDtype(kernel: string, what: string, s: Storage, dtypes: readonly DType[]): void {
  if (!dtypes.includes(s.dtype))
    throw new Error(`${kernel}: ${what} has dtype ${s.dtype}, expected ${dtypes.join(' or ')}`);
}

export function sameDtype(kernel: string, first: Storage, ...rest: Storage[]): DType {
  for (const s of rest) {
    if (s.dtype !== first.dtype)
      throw new Error(`${kernel}: inputs have different dtypes (${first.dtype} vs ${s.dtype})`);
  }
  return first.dtype;
}

/** The broadcast contract of every strided kernel: inShape has outShape's rank, each axis equal or 1. */
export function checkBroadcast(kernel: string, what: string, inShape: Shape, outShape: Shape): void {
  if (inShape.length !== outShape.length) {
    throw new Error(
      `${kernel}: ${what} shape ${fmt(inShape)} has rank ${inShape.length}, output rank is ${outShape.length}`,
    );
  }
  for (let i = 0; i < inShape.length; i++) {
    const d = inShape[i];
    if (d !== outShape[i] && d !== 1)
      throw new Error(`${kernel}: ${what} shape ${fmt(inShape)} does not broadcast to ${fmt(outShape)}`);
  }
}

/** Each operand holds its shape's elements and broadcasts to outShape. */
export function checkBroadcastOperands(
  kernel: string,
  operands: readonly [string, Storage, Shape][],
  outShape: Shape,
): void {
  checkShape(kernel, 'output', outShape);
  for (const [what, s, shape] of operands) checkBroadcastOperand(kernel, what, s, shape, outShape);
}

/** One operand of checkBroadcastOperands (for callers that check a fixed list without building it). */
export function checkBroadcastOperand(kernel: string, what: string, s: Storage, shape: Shape, outShape: Shape): void {
  checkShaped(kernel, what, s, shape);
  checkBroadcast(kernel, what, shape, outShape);
}

/** binary's contract (checkBroadcastOperands over a and b, same order and wording), allocating nothing. */
export function checkBinary(a: Storage, b: Storage, aShape: Shape, bShape: Shape, outShape: Shape): void {
  if (a.dtype !== b.dtype) sameDtype('binary', a, b); // throws
  checkShape('binary', 'output', outShape);
  checkBroadcastOperand('binary', 'a', a, aShape, outShape);
  checkBroadcastOperand('binary', 'b', b, bShape, outShape);
}

export function checkUnary(op: UnaryOp, x: Storage): void {
  if (x.dtype === 'int32' && !INT32_UNARY.has(op))
    throw new Error(`unary: '${op}' does not accept int32 (only neg, abs, sign, square do)`);
}

export function checkReduce(op: ReduceOp, x: Storage, outer: number, n: number, inner: number): void {
  checkCount('reduce', 'outer', outer);
  checkCount('reduce', 'n', n);
  checkCount('reduce', 'inner', inner);
  checkElements('reduce', 'x', x.size, outer * n * inner, `outer·n·inner = ${outer}·${n}·${inner}`);
  if (n === 0 && op !== 'sum' && op !== 'prod') throw new Error(`reduce: '${op}' over an empty axis (n = 0)`);
}

export function checkSoftmax(x: Storage, rows: number, n: number): void {
  checkDtype('softmax', 'x', x, FLOATS);
  checkCount('softmax', 'rows', rows);
  checkCount('softmax', 'n', n);
  checkElements('softmax', 'x', x.size, rows * n, `rows·n = ${rows}·${n}`);
}

export function checkPermute(x: Storage, shape: Shape, perm: readonly number[]): void {
  checkShaped('permute', 'x', x, shape);
  const rank = shape.length;
  if (perm.length !== rank) throw new Error(`permute: perm ${fmt(perm)} has length ${perm.length}, x has rank ${rank}`);
  const seen = new Array<boolean>(rank).fill(false);
  for (const p of perm) {
    if (!Number.isInteger(p) || p < 0 || p >= rank || seen[p])
      throw new Error(`permute: ${fmt(perm)} is not a permutation of 0..${rank - 1}`);
    seen[p] = true;
  }
}

/** The view begin + j·step of viewShape stays inside fullShape on every non-empty axis. */
export function checkSliceView(
  kernel: string,
  fullShape: Shape,
  begin: readonly number[],
  step: readonly number[],
  viewShape: Shape,
): void {
  const rank = fullShape.length;
  if (begin.length !== rank || step.length !== rank || viewShape.length !== rank) {
    throw new Error(
      `${kernel}: rank mismatch (shape ${rank}, begin ${begin.length}, step ${step.length}, slice shape ${viewShape.length})`,
    );
  }
  checkShape(kernel, 'full shape', fullShape);
  checkShape(kernel, 'slice shape', viewShape);
  const empty = sizeOf(viewShape) === 0;
  for (let d = 0; d < rank; d++) {
    const b = begin[d]!,
      s = step[d]!,
      n = viewShape[d]!;
    if (!Number.isInteger(s) || s < 1) throw new Error(`${kernel}: step ${s} on axis ${d} must be an integer >= 1`);
    if (!Number.isInteger(b) || b < 0)
      throw new Error(`${kernel}: begin ${b} on axis ${d} must be a non-negative integer`);
    if (!empty && b + (n - 1) * s >= fullShape[d]!) {
      throw new Error(`${kernel}: axis ${d} selects up to index ${b + (n - 1) * s}, beyond its size ${fullShape[d]}`);
    }
  }
}

export function checkSlice(
  x: Storage,
  shape: Shape,
  begin: readonly number[],
  step: readonly number[],
  outShape: Shape,
): void {
  checkShaped('slice', 'x', x, shape);
  checkSliceView('slice', shape, begin, step, outShape);
}

export function checkSliceWrite(
  src: Storage,
  srcShape: Shape,
  fullShape: Shape,
  begin: readonly number[],
  step: readonly number[],
): void {
  checkShaped('sliceWrite', 'src', src, srcShape);
  checkSliceView('sliceWrite', fullShape, begin, step, srcShape);
}

export function checkConcat(xs: readonly Storage[], outer: number, widths: readonly number[]): void {
  if (xs.length === 0) throw new Error('concat: no inputs');
  sameDtype('concat', xs[0]!, ...xs.slice(1));
  checkCount('concat', 'outer', outer);
  widths.forEach((w, i) => checkCount('concat', `widths[${i}]`, w));
  if (xs.length !== widths.length) throw new Error(`concat: ${xs.length} inputs but ${widths.length} widths`);
  xs.forEach((x, t) =>
    checkElements('concat', `input ${t}`, x.size, outer * widths[t]!, `outer·width = ${outer}·${widths[t]}`),
  );
}

/** gather (x [outer, n, inner]) and scatterAdd (src [outer, m, inner]); index ranges are checked by the backend. */
export function checkIndexed(
  kernel: 'gather' | 'scatterAdd',
  data: Storage,
  indices: Storage,
  outer: number,
  n: number,
  inner: number,
): void {
  checkDtype(kernel, 'indices', indices, ['int32']);
  checkCount(kernel, 'outer', outer);
  checkCount(kernel, 'n', n);
  checkCount(kernel, 'inner', inner);
  if (kernel === 'gather')
    checkElements(kernel, 'x', data.size, outer * n * inner, `outer·n·inner = ${outer}·${n}·${inner}`);
  else
    checkElements(
      kernel,
      'src',
      data.size,
      outer * indices.size * inner,
      `outer·m·inner = ${outer}·${indices.size}·${inner}`,
    );
}

/** Sizes, batch strides and bias length of a matmul against the element counts of its operands. */
export function checkMatmul(
  aSize: number,
  bSize: number,
  g: Omit<MatmulParams, 'bias' | 'transA' | 'transB' | 'activation'>,
  biasSize: number | null,
): void {
  const { batch, m, k, n, aBatchStride, bBatchStride } = g;
  for (const [name, v] of Object.entries({ batch, m, k, n, aBatchStride, bBatchStride })) checkCount('matmul', name, v);
  if (batch < 1) throw new Error(`matmul: batch = ${batch} must be >= 1`);
  const aNeeded = m * k === 0 ? 0 : (batch - 1) * aBatchStride + m * k;
  const bNeeded = k * n === 0 ? 0 : (batch - 1) * bBatchStride + k * n;
  if (aSize < aNeeded) throw new Error(`matmul: a has ${aSize} elements, the batch geometry reads ${aNeeded}`);
  if (bSize < bNeeded) throw new Error(`matmul: b has ${bSize} elements, the batch geometry reads ${bNeeded}`);
  if (biasSize !== null) checkElements('matmul', 'bias', biasSize, n, 'n');
}

/** checkMatmul on storages, plus dtypes and the epilogue's activation. */
export function checkMatmulCall(a: Storage, b: Storage, p: MatmulParams): DType {
  const dtype = p.bias ? sameDtype('matmul', a, b, p.bias) : sameDtype('matmul', a, b);
  const act = p.activation ?? 'none';
  if (!ACTIVATIONS.includes(act)) throw new Error(`matmul: unknown activation '${String(act)}'`);
  if (dtype === 'int32' && act !== 'none' && act !== 'relu')
    throw new Error(`matmul: activation '${act}' needs a float dtype, got int32`);
  checkMatmul(a.size, b.size, p, p.bias ? p.bias.size : null);
  return dtype;
}

/** The checks of a random fill of `size` elements (offset, seeds, range, distribution and dtype). */
export function checkRandom(size: number, dtype: DType, p: RandomParams): void {
  checkCount('random', 'size', size);
  const { dist, seedLo, seedHi, offset, a, b } = p;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + size > Number.MAX_SAFE_INTEGER) {
    throw new Error(`random: offset ${offset} (+ size ${size}) must be a non-negative integer below 2^53`);
  }
  for (const [name, v] of [
    ['seedLo', seedLo],
    ['seedHi', seedHi],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_32) throw new Error(`random: ${name} = ${v} must be a uint32`);
  }
  if (dist === 'randint') {
    const range = b - a;
    if (!Number.isInteger(a) || !Number.isInteger(b) || range < 1 || range >= TWO_POW_32) {
      throw new Error(`random: randint range [${a}, ${b}) must be non-empty integers spanning less than 2^32`);
    }
  } else if (dist === 'uniform' || dist === 'normal') {
    if (dtype === 'int32') throw new Error(`random: '${dist}' needs a float dtype, got int32`);
  } else {
    throw new Error(`random: unknown distribution '${String(dist)}'`);
  }
}

/** Validates MixtureParams (every backend's gatedMixture kernels): counts are non-negative integers, T ≥ 1. */
export function checkMixtureParams(kernel: string, p: MixtureParams): void {
  for (const what of ['e', 'b', 'd', 't'] as const) checkCount(kernel, what, p[what]);
  if (p.t < 1) throw new Error(`${kernel}: t = ${p.t} gate sets, expected at least 1`);
  if (p.layout !== 'EBD' && p.layout !== 'BED')
    throw new Error(`${kernel}: layout '${String(p.layout)}' must be 'EBD' or 'BED'`);
  if (p.activation !== 'none' && p.activation !== 'relu')
    throw new Error(`${kernel}: activation '${String(p.activation)}' must be 'none' or 'relu'`);
}

/** Float operands of one dtype, each of the size its formula gives. */
function checkMixtureOperands(
  kernel: string,
  p: MixtureParams,
  operands: readonly [string, Storage, 'EBD' | 'TBD' | 'TBE'][],
): void {
  checkMixtureParams(kernel, p);
  for (const [what, s] of operands) checkDtype(kernel, what, s, FLOATS);
  sameDtype(kernel, ...(operands.map(([, s]) => s) as [Storage, ...Storage[]]));
  const { e, b, d, t } = p;
  const sizes = {
    EBD: [e * b * d, `E·B·D (${p.layout}) = ${e}·${b}·${d}`],
    TBD: [t * b * d, `T·B·D = ${t}·${b}·${d}`],
    TBE: [t * b * e, `T·B·E = ${t}·${b}·${e}`],
  } as const;
  for (const [what, s, dims] of operands) checkElements(kernel, what, s.size, sizes[dims][0], sizes[dims][1]);
}

export function checkGatedMixture(experts: Storage, gateLogits: Storage, p: MixtureParams): void {
  checkMixtureOperands('gatedMixture', p, [
    ['experts', experts, 'EBD'],
    ['gateLogits', gateLogits, 'TBE'],
  ]);
}

export function checkGatedMixtureBackward(gOut: Storage, experts: Storage, weights: Storage, p: MixtureParams): void {
  checkMixtureOperands('gatedMixtureBackward', p, [
    ['gOut', gOut, 'TBD'],
    ['experts', experts, 'EBD'],
    ['weights', weights, 'TBE'],
  ]);
}

export function checkBce(kernel: string, logits: Storage, targets: Storage): void {
  checkDtype(kernel, 'logits', logits, FLOATS);
  sameDtype(kernel, logits, targets);
  checkElements(kernel, 'targets', targets.size, logits.size, 'the size of logits');
}

/** An optimizer's buffers: float param, every other buffer of its dtype and size; a row selection's shape. */
function checkOptimizer(
  kernel: string,
  param: Storage,
  others: readonly [string, Storage][],
  sel?: RowSelection,
): void {
  checkDtype(kernel, 'param', param, FLOATS);
  for (const [what, s] of others) {
    sameDtype(kernel, param, s);
    checkElements(kernel, what, s.size, param.size, 'the size of param');
  }
  if (sel) {
    checkDtype(kernel, 'rows', sel.rows, ['int32']);
    if (!Number.isInteger(sel.rowSize) || sel.rowSize < 1 || param.size % sel.rowSize !== 0) {
      throw new Error(`${kernel}: rowSize ${sel.rowSize} does not divide the parameter size ${param.size}`);
    }
  }
}

function checkStep(kernel: string, step: number): void {
  if (!Number.isInteger(step) || step < 1) throw new Error(`${kernel}: step ${step} must be a 1-based integer`);
}

export function checkSgd(
  param: Storage,
  grad: Storage,
  momentumBuf: Storage | null,
  p: SgdParams,
  sel?: RowSelection,
): void {
  checkOptimizer(
    'sgdUpdate',
    param,
    momentumBuf
      ? [
          ['grad', grad],
          ['momentum buffer', momentumBuf],
        ]
      : [['grad', grad]],
    sel,
  );
  if (p.momentum !== 0 && !momentumBuf) throw new Error(`sgdUpdate: momentum ${p.momentum} needs a momentum buffer`);
}

export function checkAdam(
  param: Storage,
  grad: Storage,
  m: Storage,
  v: Storage,
  p: AdamParams,
  sel?: RowSelection,
): void {
  checkOptimizer(
    'adamUpdate',
    param,
    [
      ['grad', grad],
      ['m', m],
      ['v', v],
    ],
    sel,
  );
  checkStep('adamUpdate', p.step);
}

export function checkAdagrad(param: Storage, grad: Storage, sum: Storage, p: AdagradParams, sel?: RowSelection): void {
  checkOptimizer(
    'adagradUpdate',
    param,
    [
      ['grad', grad],
      ['sum', sum],
    ],
    sel,
  );
  checkStep('adagradUpdate', p.step);
}
