/**
 * JsBackend: the pure-TypeScript reference implementation of the Backend interface. Arguments are validated
 * before dispatch (../checked.ts); methods here check only what is theirs (the storage's owner and liveness) and
 * allocate outputs; the arithmetic lives in the per-family kernel files as plain functions over typed arrays.
 * The native backend subclasses this class (with its own name), reuses its storage and helpers, and overrides
 * hot kernels.
 */
import type {
  AdagradParams,
  AdamParams,
  Backend,
  BackendInfo,
  BackendMemory,
  BinaryOp,
  DType,
  MatmulParams,
  MixtureParams,
  RandomParams,
  ReduceOp,
  RowSelection,
  SgdParams,
  Shape,
  Storage,
  TypedArray,
  UnaryArgs,
  UnaryOp,
} from '../kernels.js';
import { castKernel, binaryKernel, denseFloatBinaryKernel, unaryKernel, whereKernel } from './elementwise.js';
import {
  bceWithLogitsGradKernel,
  bceWithLogitsKernel,
  gatedMixtureBackwardKernel,
  gatedMixtureKernel,
  softmaxKernel,
} from './fused.js';
import { matmulKernel } from './matmul.js';
import {
  broadcastToKernel,
  concatKernel,
  gatherKernel,
  permuteKernel,
  scatterAddKernel,
  sliceKernel,
  sliceWriteKernel,
} from './movement.js';
import { adagradKernel, adamKernel, allElements, type ElementRanges, selectedRows, sgdKernel } from './optim.js';
import { randomKernel } from './random.js';
import { reduceKernel } from './reduce.js';
import { activationFunction } from './scalar.js';
import { sizeOf } from './shape.js';
import { allocate, dtypeOfArray, JsStorage } from './storage.js';
import { ArrayPool } from './pool.js';
import { checkCount } from '../checks.js';

const ALL_DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

export class JsBackend implements Backend {
  readonly name: string;
  #liveBuffers = 0;
  #liveBytes = 0;
  /** Disposed large buffers kept for reuse (see pool.ts). */
  readonly #pool = new ArrayPool();

  constructor(name = 'js') {
    this.name = name;
  }

  info(): BackendInfo {
    const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
    return {
      name: this.name,
      description: `pure TypeScript reference kernels on typed arrays${node ? ` (Node ${node})` : ''}`,
      syncReadback: true,
      dtypes: ALL_DTYPES,
    };
  }

  // ---- helpers shared with subclasses ----

  /**
   * Takes ownership of `data` (no copy) as new storage of this backend, counted in memory(); `borrowed`: the
   * caller keeps the array (Backend.borrow), so disposing the storage does not recycle it into the pool.
   */
  wrap(data: TypedArray, borrowed = false): JsStorage {
    const s = new JsStorage(this.name, dtypeOfArray(data), data, borrowed);
    this.#liveBuffers++;
    this.#liveBytes += data.byteLength;
    return s;
  }

  /** Zero-filled storage, recycled from the pool of disposed buffers when one of this size is free. */
  alloc(dtype: DType, size: number): JsStorage {
    checkCount('alloc', 'size', size);
    return this.wrap(this.#pool.take(dtype, size) ?? allocate(dtype, size));
  }

  /**
   * Storage whose contents are unspecified (a recycled buffer is not cleared): only for kernels that write every
   * element of their output before it is read. Fresh (non-pooled) arrays are still zero-filled by the engine.
   */
  allocUninit(dtype: DType, size: number): JsStorage {
    checkCount('alloc', 'size', size);
    return this.wrap(this.#pool.takeUninitialized(dtype, size) ?? allocate(dtype, size));
  }

  /** The typed array behind a storage, after checking that this backend made it and that it is alive. */
  dataOf(s: Storage, kernel = 'kernel'): TypedArray {
    if (!(s instanceof JsStorage) || s.backend !== this.name) {
      throw new Error(`${this.name}: ${kernel} got storage from backend '${s?.backend}'`);
    }
    if (s.disposed) throw new Error(`${this.name}: ${kernel} got a disposed storage`);
    return s.data;
  }

  /** The int32 array of an index storage (its dtype is checked before dispatch). */
  protected indicesOf(s: Storage, kernel: string): Int32Array {
    return this.dataOf(s, kernel) as Int32Array;
  }

  // ---- storage ----

  upload(data: TypedArray, dtype: DType): Storage {
    const actual = dtypeOfArray(data);
    if (actual !== dtype) throw new Error(`${this.name}: upload of a ${actual} array as ${dtype}`);
    // Into a recycled buffer when one is free (a batch uploaded every step: no fresh pages to first-touch).
    const s = this.allocUninit(dtype, data.length);
    (s.data as typeof data).set(data);
    return s;
  }

  borrow(data: TypedArray, dtype: DType): Storage {
    const actual = dtypeOfArray(data);
    if (actual !== dtype) throw new Error(`${this.name}: borrow of a ${actual} array as ${dtype}`);
    return this.wrap(data, true);
  }

  fill(size: number, value: number, dtype: DType): Storage {
    if (value === 0) return this.alloc(dtype, size);
    const s = this.allocUninit(dtype, size);
    s.data.fill(value);
    return s;
  }

  read(s: Storage): Promise<TypedArray> {
    try {
      return Promise.resolve(this.readSync(s));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  readSync(s: Storage): TypedArray {
    return this.dataOf(s, 'read').slice();
  }

  dispose(s: Storage): void {
    if (!(s instanceof JsStorage) || s.backend !== this.name) {
      throw new Error(`${this.name}: dispose of storage from backend '${s?.backend}'`);
    }
    if (s.disposed) throw new Error(`${this.name}: storage already disposed`);
    const data = s.release();
    this.#liveBytes -= data.byteLength;
    this.#liveBuffers--;
    if (!s.borrowed) this.#pool.give(s.dtype, data);
  }

  memory(): BackendMemory {
    return { buffers: this.#liveBuffers, bytes: this.#liveBytes, pooledBytes: this.#pool.bytes };
  }

  flush(): void {
    // Every kernel runs synchronously: nothing is ever queued.
  }

  // ---- elementwise ----

  unary(op: UnaryOp, x: Storage, args?: UnaryArgs): Storage {
    const xd = this.dataOf(x, 'unary');
    const out = this.alloc(x.dtype, xd.length);
    unaryKernel(op, xd, out.data, x.dtype, args);
    return out;
  }

  binary(op: BinaryOp, a: Storage, b: Storage, aShape: Shape, bShape: Shape, outShape: Shape): Storage {
    const ad = this.dataOf(a, 'binary'),
      bd = this.dataOf(b, 'binary');
    const out = this.alloc(a.dtype, sizeOf(outShape));
    if (a.dtype === 'int32' || !denseFloatBinaryKernel(op, ad, bd, out.data))
      binaryKernel(op, ad, bd, aShape, bShape, outShape, out.data, a.dtype);
    return out;
  }

  where(
    cond: Storage,
    a: Storage,
    b: Storage,
    condShape: Shape,
    aShape: Shape,
    bShape: Shape,
    outShape: Shape,
  ): Storage {
    const cd = this.dataOf(cond, 'where'),
      ad = this.dataOf(a, 'where'),
      bd = this.dataOf(b, 'where');
    const out = this.alloc(a.dtype, sizeOf(outShape));
    whereKernel(cd, ad, bd, condShape, aShape, bShape, outShape, out.data);
    return out;
  }

  cast(x: Storage, dtype: DType): Storage {
    const xd = this.dataOf(x, 'cast');
    const out = this.alloc(dtype, xd.length);
    castKernel(xd, out.data);
    return out;
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: Storage, outer: number, n: number, inner: number): Storage {
    const xd = this.dataOf(x, 'reduce');
    const outDtype: DType = op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype;
    const out = this.alloc(outDtype, outer * inner);
    reduceKernel(op, xd, x.dtype, outer, n, inner, out.data);
    return out;
  }

  softmax(x: Storage, rows: number, n: number, log: boolean): Storage {
    const xd = this.dataOf(x, 'softmax');
    const out = this.alloc(x.dtype, rows * n);
    softmaxKernel(xd, rows, n, log, out.data);
    return out;
  }

  // ---- data movement ----

  permute(x: Storage, shape: Shape, perm: readonly number[]): Storage {
    const xd = this.dataOf(x, 'permute');
    const out = this.alloc(x.dtype, xd.length);
    permuteKernel(xd, shape, perm, out.data);
    return out;
  }

  broadcastTo(x: Storage, inShape: Shape, outShape: Shape): Storage {
    const xd = this.dataOf(x, 'broadcastTo');
    const out = this.alloc(x.dtype, sizeOf(outShape));
    broadcastToKernel(xd, inShape, outShape, out.data);
    return out;
  }

  slice(x: Storage, shape: Shape, begin: readonly number[], step: readonly number[], outShape: Shape): Storage {
    const xd = this.dataOf(x, 'slice');
    const out = this.alloc(x.dtype, sizeOf(outShape));
    sliceKernel(xd, shape, begin, step, outShape, out.data);
    return out;
  }

  sliceWrite(
    src: Storage,
    srcShape: Shape,
    fullShape: Shape,
    begin: readonly number[],
    step: readonly number[],
  ): Storage {
    const sd = this.dataOf(src, 'sliceWrite');
    const out = this.alloc(src.dtype, sizeOf(fullShape));
    sliceWriteKernel(sd, srcShape, fullShape, begin, step, out.data);
    return out;
  }

  concat(xs: readonly Storage[], outer: number, widths: readonly number[]): Storage {
    const datas = xs.map((x) => this.dataOf(x, 'concat'));
    const out = this.allocUninit(xs[0]!.dtype, outer * widths.reduce((s, w) => s + w, 0));
    concatKernel(datas, outer, widths, out.data);
    return out;
  }

  gather(x: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    const xd = this.dataOf(x, 'gather');
    const ix = this.indicesOf(indices, 'gather');
    const out = this.alloc(x.dtype, outer * ix.length * inner);
    gatherKernel(xd, ix, outer, n, inner, out.data);
    return out;
  }

  scatterAdd(src: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    const sd = this.dataOf(src, 'scatterAdd');
    const ix = this.indicesOf(indices, 'scatterAdd');
    const out = this.alloc(src.dtype, outer * n * inner);
    scatterAddKernel(sd, ix, outer, n, inner, out.data, src.dtype === 'int32');
    return out;
  }

  // ---- linear algebra ----

  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    const ad = this.dataOf(a, 'matmul'),
      bd = this.dataOf(b, 'matmul');
    const dtype = a.dtype;
    const bias = p.bias ? this.dataOf(p.bias, 'matmul') : null;
    const activation = activationFunction(p.activation, dtype);
    const out = this.alloc(dtype, p.batch * p.m * p.n);
    matmulKernel(ad, bd, p, bias, activation, out.data, dtype === 'int32');
    return out;
  }

  // ---- random ----

  random(size: number, dtype: DType, p: RandomParams): Storage {
    const out = this.alloc(dtype, size);
    randomKernel(out.data, dtype, p);
    return out;
  }

  // ---- fused ----

  gatedMixture(experts: Storage, gateLogits: Storage, p: MixtureParams): { out: Storage; weights: Storage } {
    const ed = this.dataOf(experts, 'gatedMixture'),
      gd = this.dataOf(gateLogits, 'gatedMixture');
    const dtype = experts.dtype;
    const out = this.alloc(dtype, p.t * p.b * p.d),
      weights = this.alloc(dtype, p.t * p.b * p.e);
    gatedMixtureKernel(ed, gd, p, out.data, weights.data);
    return { out, weights };
  }

  gatedMixtureBackward(
    gOut: Storage,
    experts: Storage,
    weights: Storage,
    p: MixtureParams,
  ): { gExperts: Storage; gLogits: Storage } {
    const god = this.dataOf(gOut, 'gatedMixtureBackward');
    const ed = this.dataOf(experts, 'gatedMixtureBackward'),
      wd = this.dataOf(weights, 'gatedMixtureBackward');
    const dtype = gOut.dtype;
    const gExperts = this.alloc(dtype, p.e * p.b * p.d),
      gLogits = this.alloc(dtype, p.t * p.b * p.e);
    gatedMixtureBackwardKernel(god, ed, wd, p, gExperts.data, gLogits.data);
    return { gExperts, gLogits };
  }

  bceWithLogits(logits: Storage, targets: Storage): Storage {
    const ld = this.dataOf(logits, 'bceWithLogits'),
      td = this.dataOf(targets, 'bceWithLogits');
    const out = this.alloc(logits.dtype, ld.length);
    bceWithLogitsKernel(ld, td, out.data);
    return out;
  }

  bceWithLogitsGrad(logits: Storage, targets: Storage): Storage {
    const ld = this.dataOf(logits, 'bceWithLogitsGrad'),
      td = this.dataOf(targets, 'bceWithLogitsGrad');
    const out = this.alloc(logits.dtype, ld.length);
    bceWithLogitsGradKernel(ld, td, out.data);
    return out;
  }

  // ---- optimizer updates (in place) ----

  /** The typed arrays of an optimizer's buffers (dtypes and sizes are checked before dispatch). */
  protected optimizerBuffers(kernel: string, param: Storage, others: Storage[]): TypedArray[] {
    return [param, ...others].map((s) => this.dataOf(s, kernel));
  }

  protected rangesOf(kernel: string, size: number, sel?: RowSelection): ElementRanges {
    return sel ? selectedRows(kernel, this.indicesOf(sel.rows, kernel), sel.rowSize, size) : allElements(size);
  }

  sgdUpdate(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams, sel?: RowSelection): void {
    const [pd, gd, bd] = this.optimizerBuffers('sgdUpdate', param, momentumBuf ? [grad, momentumBuf] : [grad]);
    sgdKernel(pd!, gd!, bd ?? null, p, this.rangesOf('sgdUpdate', pd!.length, sel));
  }

  adamUpdate(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams, sel?: RowSelection): void {
    const [pd, gd, md, vd] = this.optimizerBuffers('adamUpdate', param, [grad, m, v]);
    adamKernel(pd!, gd!, md!, vd!, p, this.rangesOf('adamUpdate', pd!.length, sel));
  }

  adagradUpdate(param: Storage, grad: Storage, sum: Storage, p: AdagradParams, sel?: RowSelection): void {
    const [pd, gd, sd] = this.optimizerBuffers('adagradUpdate', param, [grad, sum]);
    adagradKernel(pd!, gd!, sd!, p, this.rangesOf('adagradUpdate', pd!.length, sel));
  }
}
