/**
 * The validating layer between ops and backends: every kernel call is checked here once (checks.ts, one wording
 * for every backend) and then dispatched to the backend, which implements only the arithmetic. The engine
 * registers every backend wrapped in this layer, so ops, the tape and optimizers always go through it; kernel
 * tests wrap the raw backends the same way (`checked(backend)`).
 */
import type {
  AdagradParams, AdamParams, Backend, BackendInfo, BackendMemory, BinaryOp, DType, MatmulParams, MixtureParams,
  RandomParams, ReduceOp, RowSelection, SgdParams, Shape, Storage, TypedArray, UnaryArgs, UnaryOp,
} from './kernels.js';
import * as check from './checks.js';

export class CheckedBackend<B extends Backend = Backend> implements Backend {
  constructor(readonly inner: B) {}

  get name(): string { return this.inner.name; }
  info(): BackendInfo { return this.inner.info(); }

  // ---- storage ----
  upload(data: TypedArray, dtype: DType): Storage { return this.inner.upload(data, dtype); }
  fill(size: number, value: number, dtype: DType): Storage {
    check.checkCount('fill', 'size', size);
    return this.inner.fill(size, value, dtype);
  }
  read(s: Storage): Promise<TypedArray> { return this.inner.read(s); }
  readSync(s: Storage): TypedArray { return this.inner.readSync(s); }
  dispose(s: Storage): void { this.inner.dispose(s); }
  memory(): BackendMemory { return this.inner.memory(); }
  flush(): void { this.inner.flush(); }

  // ---- elementwise ----
  unary(op: UnaryOp, x: Storage, args?: UnaryArgs): Storage {
    check.checkUnary(op, x);
    return this.inner.unary(op, x, args);
  }
  binary(op: BinaryOp, a: Storage, b: Storage, aShape: Shape, bShape: Shape, outShape: Shape): Storage {
    check.sameDtype('binary', a, b);
    check.checkBroadcastOperands('binary', [['a', a, aShape], ['b', b, bShape]], outShape);
    return this.inner.binary(op, a, b, aShape, bShape, outShape);
  }
  where(cond: Storage, a: Storage, b: Storage, condShape: Shape, aShape: Shape, bShape: Shape, outShape: Shape): Storage {
    check.sameDtype('where', a, b);
    check.checkBroadcastOperands('where', [['cond', cond, condShape], ['a', a, aShape], ['b', b, bShape]], outShape);
    return this.inner.where(cond, a, b, condShape, aShape, bShape, outShape);
  }
  cast(x: Storage, dtype: DType): Storage { return this.inner.cast(x, dtype); }

  // ---- reductions ----
  reduce(op: ReduceOp, x: Storage, outer: number, n: number, inner: number): Storage {
    check.checkReduce(op, x, outer, n, inner);
    return this.inner.reduce(op, x, outer, n, inner);
  }
  softmax(x: Storage, rows: number, n: number, log: boolean): Storage {
    check.checkSoftmax(x, rows, n);
    return this.inner.softmax(x, rows, n, log);
  }

  // ---- data movement ----
  permute(x: Storage, shape: Shape, perm: readonly number[]): Storage {
    check.checkPermute(x, shape, perm);
    return this.inner.permute(x, shape, perm);
  }
  broadcastTo(x: Storage, inShape: Shape, outShape: Shape): Storage {
    check.checkBroadcastOperands('broadcastTo', [['x', x, inShape]], outShape);
    return this.inner.broadcastTo(x, inShape, outShape);
  }
  slice(x: Storage, shape: Shape, begin: readonly number[], step: readonly number[], outShape: Shape): Storage {
    check.checkSlice(x, shape, begin, step, outShape);
    return this.inner.slice(x, shape, begin, step, outShape);
  }
  sliceWrite(src: Storage, srcShape: Shape, fullShape: Shape, begin: readonly number[], step: readonly number[]): Storage {
    check.checkSliceWrite(src, srcShape, fullShape, begin, step);
    return this.inner.sliceWrite(src, srcShape, fullShape, begin, step);
  }
  concat(xs: readonly Storage[], outer: number, widths: readonly number[]): Storage {
    check.checkConcat(xs, outer, widths);
    return this.inner.concat(xs, outer, widths);
  }
  gather(x: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    check.checkIndexed('gather', x, indices, outer, n, inner);
    return this.inner.gather(x, indices, outer, n, inner);
  }
  scatterAdd(src: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    check.checkIndexed('scatterAdd', src, indices, outer, n, inner);
    return this.inner.scatterAdd(src, indices, outer, n, inner);
  }

  // ---- linear algebra, random ----
  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    check.checkMatmulCall(a, b, p);
    return this.inner.matmul(a, b, p);
  }
  random(size: number, dtype: DType, p: RandomParams): Storage {
    check.checkRandom(size, dtype, p);
    return this.inner.random(size, dtype, p);
  }

  // ---- fused ----
  gatedMixture(experts: Storage, gateLogits: Storage, p: MixtureParams): { out: Storage; weights: Storage } {
    check.checkGatedMixture(experts, gateLogits, p);
    return this.inner.gatedMixture(experts, gateLogits, p);
  }
  gatedMixtureBackward(gOut: Storage, experts: Storage, weights: Storage, p: MixtureParams): { gExperts: Storage; gLogits: Storage } {
    check.checkGatedMixtureBackward(gOut, experts, weights, p);
    return this.inner.gatedMixtureBackward(gOut, experts, weights, p);
  }
  bceWithLogits(logits: Storage, targets: Storage): Storage {
    check.checkBce('bceWithLogits', logits, targets);
    return this.inner.bceWithLogits(logits, targets);
  }
  bceWithLogitsGrad(logits: Storage, targets: Storage): Storage {
    check.checkBce('bceWithLogitsGrad', logits, targets);
    return this.inner.bceWithLogitsGrad(logits, targets);
  }

  // ---- optimizer updates (in place) ----
  sgdUpdate(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams, sel?: RowSelection): void {
    check.checkSgd(param, grad, momentumBuf, p, sel);
    this.inner.sgdUpdate(param, grad, momentumBuf, p, sel);
  }
  adamUpdate(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams, sel?: RowSelection): void {
    check.checkAdam(param, grad, m, v, p, sel);
    this.inner.adamUpdate(param, grad, m, v, p, sel);
  }
  adagradUpdate(param: Storage, grad: Storage, sum: Storage, p: AdagradParams, sel?: RowSelection): void {
    check.checkAdagrad(param, grad, sum, p, sel);
    this.inner.adagradUpdate(param, grad, sum, p, sel);
  }

  /** Releases the wrapped backend's device where it has one (WebGPU). */
  destroy(): void {
    (this.inner as { destroy?: () => void }).destroy?.();
  }
}

/** `b` behind the validating layer (idempotent). */
export function checked<B extends Backend>(b: B | CheckedBackend<B>): CheckedBackend<B> {
  return b instanceof CheckedBackend ? b : new CheckedBackend(b);
}
