/**
 * Elementwise ops with NumPy broadcasting. Each op is one entry: its kernel call and its gradient side by side.
 */
import type { BinaryOp, UnaryArgs, UnaryOp } from '../backends/kernels.js';
import { record } from '../autograd/record.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, fmt, padShape, shapesEqual } from '../tensor/shape.js';
import { engine } from '../tensor/engine.js';
import { backendOf, operands, scalarOn, wrap, type TensorLike } from './util.js';
import { zerosLike } from './creation.js';
import { opScope } from '../tensor/scope.js';

// ---------------------------------------------------------------- unary

type UnaryGrad = (g: Tensor, x: Tensor, y: Tensor, args: UnaryArgs) => Tensor;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** d(op)/dx times g, in terms of other ops (so every backend gets it). */
const UNARY_GRADS: Record<UnaryOp, UnaryGrad | 'zero'> = {
  neg: (g) => neg(g),
  exp: (g, _x, y) => mul(g, y),
  expm1: (g, _x, y) => mul(g, add(y, 1)),
  log: (g, x) => div(g, x),
  log1p: (g, x) => div(g, add(x, 1)),
  sqrt: (g, _x, y) => div(g, mul(y, 2)),
  rsqrt: (g, _x, y) => mul(g, mul(mul(y, mul(y, y)), -0.5)),
  square: (g, x) => mul(g, mul(x, 2)),
  reciprocal: (g, _x, y) => neg(mul(g, mul(y, y))),
  abs: (g, x) => mul(g, sign(x)),
  sign: 'zero',
  floor: 'zero',
  ceil: 'zero',
  round: 'zero',
  sin: (g, x) => mul(g, cos(x)),
  cos: (g, x) => neg(mul(g, sin(x))),
  tanh: (g, _x, y) => mul(g, sub(1, mul(y, y))),
  sigmoid: (g, _x, y) => mul(g, mul(y, sub(1, y))),
  logSigmoid: (g, x) => mul(g, sigmoid(neg(x))),
  softplus: (g, x) => mul(g, sigmoid(x)),
  erf: (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))),
  relu: (g, x) => mul(g, gt(x, 0)),
  // gelu(x) = xΦ(x): derivative Φ(x) + xφ(x).
  gelu: (g, x) =>
    mul(g, add(mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5), mul(x, mul(exp(mul(mul(x, x), -0.5)), INV_SQRT_2PI)))),
  geluTanh: (g, x) => {
    const x2 = mul(x, x);
    const t = tanh(mul(add(x, mul(mul(x2, x), 0.044715)), SQRT_2_OVER_PI));
    const dt = mul(sub(1, mul(t, t)), mul(add(mul(x2, 3 * 0.044715), 1), SQRT_2_OVER_PI));
    return mul(g, add(mul(add(t, 1), 0.5), mul(mul(x, dt), 0.5)));
  },
  elu: (g, x, y, a) => mul(g, where(gt(x, 0), 1, add(y, a.alpha ?? 1))),
  leakyRelu: (g, x, _y, a) => mul(g, where(gt(x, 0), 1, a.alpha ?? 0.01)),
};

const INT_UNARY: ReadonlySet<UnaryOp> = new Set(['neg', 'abs', 'sign', 'square']);

export function unary(op: UnaryOp, x: Tensor, args: UnaryArgs = {}): Tensor {
  const be = backendOf(op, x);
  if (x.dtype === 'int32' && !INT_UNARY.has(op)) {
    throw new Error(`${op}: expected a float tensor, got ${fmt(x.shape)} int32 (cast it with .cast('float32'))`);
  }
  const y = wrap(be.unary(op, x.storage, args), x.shape);
  if (!engine.gradEnabled || !x.requiresGrad) return y; // records nothing: skip building the closure
  const rule = UNARY_GRADS[op];
  return record(op, [x], y, (g) => [rule === 'zero' ? zerosLike(x) : rule(g, x, y, args)]);
}

export function neg(x: Tensor): Tensor {
  return unary('neg', x);
}
export function exp(x: Tensor): Tensor {
  return unary('exp', x);
}
export function expm1(x: Tensor): Tensor {
  return unary('expm1', x);
}
export function log(x: Tensor): Tensor {
  return unary('log', x);
}
export function log1p(x: Tensor): Tensor {
  return unary('log1p', x);
}
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x);
}
export function rsqrt(x: Tensor): Tensor {
  return unary('rsqrt', x);
}
export function square(x: Tensor): Tensor {
  return unary('square', x);
}
export function reciprocal(x: Tensor): Tensor {
  return unary('reciprocal', x);
}
export function abs(x: Tensor): Tensor {
  return unary('abs', x);
}
export function sign(x: Tensor): Tensor {
  return unary('sign', x);
}
export function floor(x: Tensor): Tensor {
  return unary('floor', x);
}
export function ceil(x: Tensor): Tensor {
  return unary('ceil', x);
}
export function round(x: Tensor): Tensor {
  return unary('round', x);
}
export function sin(x: Tensor): Tensor {
  return unary('sin', x);
}
export function cos(x: Tensor): Tensor {
  return unary('cos', x);
}
export function tanh(x: Tensor): Tensor {
  return unary('tanh', x);
}
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x);
}
export function logSigmoid(x: Tensor): Tensor {
  return unary('logSigmoid', x);
}
export function softplus(x: Tensor): Tensor {
  return unary('softplus', x);
}
export function erf(x: Tensor): Tensor {
  return unary('erf', x);
}
export function relu(x: Tensor): Tensor {
  return unary('relu', x);
}
/** GELU; `approximate: 'tanh'` selects the tanh form. */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  return unary(opts.approximate === 'tanh' ? 'geluTanh' : 'gelu', x);
}
export function elu(x: Tensor, alpha = 1): Tensor {
  return unary('elu', x, { alpha });
}
export function leakyRelu(x: Tensor, alpha = 0.01): Tensor {
  return unary('leakyRelu', x, { alpha });
}

// ---------------------------------------------------------------- binary

type BinaryGrad = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];

/** Ties of minimum/maximum split the gradient equally, like PyTorch. */
function pickGrad(g: Tensor, chosenA: Tensor, tie: Tensor): [Tensor, Tensor] {
  const wa = add(chosenA, mul(tie, 0.5));
  return [mul(g, wa), mul(g, sub(1, wa))];
}

/**
 * Gradients at the broadcast (output) shape: the tape sums each down to its input's shape. 'none': comparisons, whose
 * 1/0 output is not differentiable.
 */
const BINARY_GRADS: Record<BinaryOp, BinaryGrad | 'none'> = {
  add: (g) => [g, g],
  // Only the gradients an input needs are computed (as pow does): x * constant costs one backward op, not two.
  sub: (g, _a, b) => [g, b.requiresGrad ? neg(g) : null],
  mul: (g, a, b) => [a.requiresGrad ? mul(g, b) : null, b.requiresGrad ? mul(g, a) : null],
  div: (g, a, b, y) => [a.requiresGrad ? div(g, b) : null, b.requiresGrad ? neg(div(mul(g, y), b)) : null],
  pow: (g, a, b, y) => [
    a.requiresGrad ? mul(g, mul(b, pow(a, sub(b, 1)))) : null,
    // d/db a^b = a^b·ln a, defined as 0 where a <= 0 (PyTorch masks a == 0 the same way).
    b.requiresGrad ? mul(g, where(gt(a, 0), mul(y, log(where(gt(a, 0), a, 1))), 0)) : null,
  ],
  minimum: (g, a, b) => pickGrad(g, lt(a, b), eq(a, b)),
  maximum: (g, a, b) => pickGrad(g, gt(a, b), eq(a, b)),
  mod: (g, a, b) => [g, neg(mul(g, floor(div(a, b))))],
  eq: 'none',
  ne: 'none',
  lt: 'none',
  le: 'none',
  gt: 'none',
  ge: 'none',
};

/** A number operand becomes a 0-d tensor, a temporary the op's scope disposes (the tape keeps it while needed). */
const binaryWithNumber = opScope(function binary(op: BinaryOp, aIn: TensorLike, bIn: TensorLike): Tensor {
  const [a, b] = operands(op, aIn, bIn);
  return binaryOfTensors(op, a, b);
});

export function binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  // Two tensors make no temporaries: no scope to open (the hot path of small eager ops).
  if (a instanceof Tensor && b instanceof Tensor) return binaryOfTensors(op, a, b);
  return binaryWithNumber(op, a, b);
}

function binaryOfTensors(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const be = backendOf(op, a, b);
  if (a.dtype !== b.dtype) {
    throw new Error(
      `${op}: dtype mismatch: ${fmt(a.shape)} ${a.dtype} and ${fmt(b.shape)} ${b.dtype} (cast one explicitly with .cast())`,
    );
  }
  if (op === 'pow' && a.dtype === 'int32')
    throw new Error(`pow: expected float tensors, got int32 (cast with .cast('float32'))`);
  let y: Tensor;
  if (shapesEqual(a.shape, b.shape)) {
    // Equal shapes broadcast to themselves: the (frozen) shape array is shared, nothing is padded or copied.
    y = wrap(be.binary(op, a.storage, b.storage, a.shape, a.shape, a.shape), a.shape);
  } else {
    const outShape = broadcastShapes(op, a.shape, b.shape);
    const nd = outShape.length;
    y = wrap(be.binary(op, a.storage, b.storage, padShape(a.shape, nd), padShape(b.shape, nd), outShape), outShape);
  }
  const rule = BINARY_GRADS[op];
  // Checked before building the tape's closure and input list, so an op that records nothing allocates neither.
  if (rule === 'none' || !engine.gradEnabled || !(a.requiresGrad || b.requiresGrad)) return y;
  return record(op, [a, b], y, (g) => rule(g, a, b, y));
}

export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary('add', a, b);
}
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary('sub', a, b);
}
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary('mul', a, b);
}
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary('div', a, b);
}
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return binary('pow', a, b);
}
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary('minimum', a, b);
}
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary('maximum', a, b);
}
export function mod(a: TensorLike, b: TensorLike): Tensor {
  return binary('mod', a, b);
}
/** Comparisons give 1/0 in the operands' dtype; they are not differentiable. */
export function eq(a: TensorLike, b: TensorLike): Tensor {
  return binary('eq', a, b);
}
export function ne(a: TensorLike, b: TensorLike): Tensor {
  return binary('ne', a, b);
}
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return binary('lt', a, b);
}
export function le(a: TensorLike, b: TensorLike): Tensor {
  return binary('le', a, b);
}
export function gt(a: TensorLike, b: TensorLike): Tensor {
  return binary('gt', a, b);
}
export function ge(a: TensorLike, b: TensorLike): Tensor {
  return binary('ge', a, b);
}

/** min(max(x, lo), hi); the gradient flows where lo <= x <= hi. */
export const clamp = opScope(function clamp(x: Tensor, lo?: number, hi?: number): Tensor {
  // With neither bound the result would be x itself, and disposing "the result" would dispose the input.
  if (lo === undefined && hi === undefined)
    throw new Error(`clamp: ${fmt(x.shape)} ${x.dtype} got neither a min nor a max; give at least one bound`);
  if (lo !== undefined && hi !== undefined && lo > hi) throw new Error(`clamp: min ${lo} is greater than max ${hi}`);
  let y = x;
  if (lo !== undefined) y = maximum(y, lo);
  if (hi !== undefined) y = minimum(y, hi);
  return y;
});

// ---------------------------------------------------------------- where

/** cond ? a : b elementwise, all three broadcast together; cond is any dtype (non-zero = true). */
export const where = opScope(function where(cond: Tensor, aIn: TensorLike, bIn: TensorLike): Tensor {
  const op = 'where';
  const like = aIn instanceof Tensor ? aIn : bIn instanceof Tensor ? bIn : undefined;
  const a =
    aIn instanceof Tensor
      ? aIn
      : scalarOn(backendOf(op, cond), aIn, like?.dtype ?? (cond.dtype === 'int32' ? 'float32' : cond.dtype));
  const b = bIn instanceof Tensor ? bIn : scalarOn(backendOf(op, cond), bIn, a.dtype);
  const be = backendOf(op, cond, a, b);
  if (a.dtype !== b.dtype)
    throw new Error(`where: branches have different dtypes ${fmt(a.shape)} ${a.dtype} and ${fmt(b.shape)} ${b.dtype}`);
  const outShape = broadcastShapes(op, cond.shape, a.shape, b.shape);
  const nd = outShape.length;
  const y = wrap(
    be.where(
      cond.storage,
      a.storage,
      b.storage,
      padShape(cond.shape, nd),
      padShape(a.shape, nd),
      padShape(b.shape, nd),
      outShape,
    ),
    outShape,
  );
  return record(
    op,
    [a, b],
    y,
    (g) => {
      const zero = scalarOn(be, 0, g.dtype);
      return [a.requiresGrad ? where(cond, g, zero) : null, b.requiresGrad ? where(cond, zero, g) : null];
    },
    [cond],
  );
});

/** Converts to another dtype; the gradient is cast back (float to float only). */
export function cast(x: Tensor, dtype: Tensor['dtype']): Tensor {
  const be = backendOf('cast', x);
  if (x.dtype === dtype) return x;
  if (!be.info().dtypes.includes(dtype)) throw new Error(`cast: backend '${be.name}' does not support ${dtype}`);
  const y = wrap(be.cast(x.storage, dtype), x.shape);
  if (dtype === 'int32' || x.dtype === 'int32') return y;
  return record('cast', [x], y, (g) => [cast(g, x.dtype)]);
}
