/** Tensor methods for the ops where a method reads well (x.add(1).relu().sum()). Each forwards to the op function. */
import { Tensor } from '../tensor/tensor.js';
import { BINARY_OPS, type DType, UNARY_OPS, type UnaryOp } from '../backends/kernels.js';
import * as ew from './elementwise.js';
import * as red from './reduce.js';
import * as sh from './shape.js';
import * as la from './linalg.js';
import type { TensorLike } from './util.js';
import type { Axes } from './reduce.js';
import type { SliceRange } from './shape.js';

declare module '../tensor/tensor.js' {
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    minimum(b: TensorLike): Tensor;
    maximum(b: TensorLike): Tensor;
    mod(b: TensorLike): Tensor;
    eq(b: TensorLike): Tensor;
    ne(b: TensorLike): Tensor;
    lt(b: TensorLike): Tensor;
    le(b: TensorLike): Tensor;
    gt(b: TensorLike): Tensor;
    ge(b: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    expm1(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    square(): Tensor;
    reciprocal(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    logSigmoid(): Tensor;
    softplus(): Tensor;
    erf(): Tensor;
    relu(): Tensor;
    gelu(opts?: { approximate?: 'none' | 'tanh' }): Tensor;
    elu(alpha?: number): Tensor;
    leakyRelu(alpha?: number): Tensor;
    clamp(min?: number, max?: number): Tensor;
    cast(dtype: DType): Tensor;
    sum(axes?: Axes, keepdim?: boolean): Tensor;
    mean(axes?: Axes, keepdim?: boolean): Tensor;
    max(axes?: Axes, keepdim?: boolean): Tensor;
    min(axes?: Axes, keepdim?: boolean): Tensor;
    argmax(axis?: number, keepdim?: boolean): Tensor;
    argmin(axis?: number, keepdim?: boolean): Tensor;
    var(axes?: Axes, opts?: { keepdim?: boolean; correction?: number }): Tensor;
    logsumexp(axes?: Axes, keepdim?: boolean): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(startAxis?: number, endAxis?: number): Tensor;
    permute(perm: readonly number[]): Tensor;
    transpose(axis0?: number, axis1?: number): Tensor;
    t(): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    expand(shape: readonly number[]): Tensor;
    squeeze(axis?: number | readonly number[]): Tensor;
    unsqueeze(axis: number): Tensor;
    slice(ranges: readonly SliceRange[]): Tensor;
    split(sizes: number | readonly number[], axis?: number): Tensor[];
    gather(indices: Tensor, axis?: number): Tensor;
    indexSelect(axis: number, index: Tensor): Tensor;
    matmul(b: Tensor): Tensor;
  }
}

const P = Tensor.prototype;
for (const name of BINARY_OPS) {
  const fn = ew[name];
  P[name] = function (this: Tensor, b: TensorLike) {
    return fn(this, b);
  };
}
/** gelu, elu and leakyRelu take options (their methods follow); geluTanh is gelu's tanh option, not a method. */
type PlainUnary = Exclude<UnaryOp, 'gelu' | 'geluTanh' | 'elu' | 'leakyRelu'>;
const WITH_OPTIONS: ReadonlySet<UnaryOp> = new Set(['gelu', 'geluTanh', 'elu', 'leakyRelu']);
const unaries = UNARY_OPS.filter((op): op is PlainUnary => !WITH_OPTIONS.has(op));
for (const name of unaries) {
  const fn = ew[name];
  P[name] = function (this: Tensor) {
    return fn(this);
  };
}
P.gelu = function (this: Tensor, opts) {
  return ew.gelu(this, opts);
};
P.elu = function (this: Tensor, alpha) {
  return ew.elu(this, alpha);
};
P.leakyRelu = function (this: Tensor, alpha) {
  return ew.leakyRelu(this, alpha);
};
P.clamp = function (this: Tensor, lo, hi) {
  return ew.clamp(this, lo, hi);
};
P.cast = function (this: Tensor, dtype) {
  return ew.cast(this, dtype);
};
P.sum = function (this: Tensor, axes, keepdim) {
  return red.sum(this, axes, keepdim);
};
P.mean = function (this: Tensor, axes, keepdim) {
  return red.mean(this, axes, keepdim);
};
P.max = function (this: Tensor, axes, keepdim) {
  return red.max(this, axes, keepdim);
};
P.min = function (this: Tensor, axes, keepdim) {
  return red.min(this, axes, keepdim);
};
P.argmax = function (this: Tensor, axis, keepdim) {
  return red.argmax(this, axis, keepdim);
};
P.argmin = function (this: Tensor, axis, keepdim) {
  return red.argmin(this, axis, keepdim);
};
P.var = function (this: Tensor, axes, opts) {
  return red.variance(this, axes, opts);
};
P.logsumexp = function (this: Tensor, axes, keepdim) {
  return red.logsumexp(this, axes, keepdim);
};
P.softmax = function (this: Tensor, axis) {
  return red.softmax(this, axis);
};
P.logSoftmax = function (this: Tensor, axis) {
  return red.logSoftmax(this, axis);
};
P.reshape = function (this: Tensor, shape) {
  return sh.reshape(this, shape);
};
P.flatten = function (this: Tensor, a, b) {
  return sh.flatten(this, a, b);
};
P.permute = function (this: Tensor, perm) {
  return sh.permute(this, perm);
};
P.transpose = function (this: Tensor, a, b) {
  return sh.transpose(this, a, b);
};
P.t = function (this: Tensor) {
  if (this.ndim !== 2)
    throw new Error(`t: expects a 2-D tensor, got shape [${this.shape.join(',')}] (use transpose or permute)`);
  return sh.transpose(this, 0, 1);
};
P.broadcastTo = function (this: Tensor, shape) {
  return sh.broadcastTo(this, shape);
};
P.expand = function (this: Tensor, shape) {
  return sh.expand(this, shape);
};
P.squeeze = function (this: Tensor, axis) {
  return sh.squeeze(this, axis);
};
P.unsqueeze = function (this: Tensor, axis) {
  return sh.unsqueeze(this, axis);
};
P.slice = function (this: Tensor, ranges) {
  return sh.slice(this, ranges);
};
P.split = function (this: Tensor, sizes, axis) {
  return sh.split(this, sizes, axis);
};
P.gather = function (this: Tensor, indices, axis) {
  return sh.gather(this, indices, axis);
};
P.indexSelect = function (this: Tensor, axis, index) {
  return sh.indexSelect(this, axis, index);
};
P.matmul = function (this: Tensor, b) {
  return la.matmul(this, b);
};
