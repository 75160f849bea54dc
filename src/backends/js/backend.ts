/**
 * JsBackend: the pure-TypeScript reference implementation of the Backend interface. Methods validate storages
 * (owner, dtype, liveness) and allocate outputs; the arithmetic lives in the per-family kernel files as plain
 * functions over typed arrays. The native backend subclasses this class (with its own name), reuses its
 * storage and helpers, and overrides hot kernels.
 */
import type {
  AdagradParams, AdamParams, Backend, BackendInfo, BackendMemory, BinaryOp, DType, MatmulParams, MixtureParams, RandomParams,
  ReduceOp, RowSelection, SgdParams, Shape, Storage, TypedArray, UnaryArgs, UnaryOp,
} from '../kernels.js';
import { castKernel, binaryKernel, unaryKernel, whereKernel } from './elementwise.js';
import {
  bceWithLogitsGradKernel, bceWithLogitsKernel, gatedMixtureBackwardKernel, gatedMixtureKernel, softmaxKernel,
} from './fused.js';
import { matmulKernel } from './matmul.js';
import {
  broadcastToKernel, concatKernel, gatherKernel, permuteKernel, scatterAddKernel, sliceKernel, sliceWriteKernel,
} from './movement.js';
import { adagradKernel, adamKernel, allElements, type ElementRanges, selectedRows, sgdKernel } from './optim.js';
import { randomKernel } from './random.js';
import { reduceKernel } from './reduce.js';
import { activationFunction } from './scalar.js';
import { checkShape, sizeOf } from './shape.js';
import { allocate, dtypeOfArray, JsStorage } from './storage.js';
import { ArrayPool } from './pool.js';
import { checkCount, checkMixtureParams } from '../checks.js';

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

  /** Takes ownership of `data` (no copy) as new storage of this backend, counted in memory(). */
  wrap(data: TypedArray): JsStorage {
    const s = new JsStorage(this.name, dtypeOfArray(data), data);
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

  /** dataOf plus a dtype check. */
  protected dataAs(s: Storage, dtypes: readonly DType[], kernel: string, what: string): TypedArray {
    const data = this.dataOf(s, kernel);
    if (!dtypes.includes(s.dtype)) throw new Error(`${this.name}: ${kernel} ${what} has dtype ${s.dtype}, expected ${dtypes.join(' or ')}`);
    return data;
  }

  protected sameDtype(kernel: string, first: Storage, ...rest: Storage[]): DType {
    for (const s of rest) {
      if (s.dtype !== first.dtype) throw new Error(`${this.name}: ${kernel} inputs have different dtypes (${first.dtype} vs ${s.dtype})`);
    }
    return first.dtype;
  }

  protected indicesOf(s: Storage, kernel: string): Int32Array {
    return this.dataAs(s, ['int32'], kernel, 'indices') as Int32Array;
  }

  // ---- storage ----

  upload(data: TypedArray, dtype: DType): Storage {
    const actual = dtypeOfArray(data);
    if (actual !== dtype) throw new Error(`${this.name}: upload of a ${actual} array as ${dtype}`);
    return this.wrap(data.slice());
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
    this.#pool.give(s.dtype, data);
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
    const ad = this.dataOf(a, 'binary'), bd = this.dataOf(b, 'binary');
    const dtype = this.sameDtype('binary', a, b);
    checkShape(outShape, 'binary', 'output');
    const out = this.alloc(dtype, sizeOf(outShape));
    binaryKernel(op, ad, bd, aShape, bShape, outShape, out.data, dtype);
    return out;
  }

  where(cond: Storage, a: Storage, b: Storage, condShape: Shape, aShape: Shape, bShape: Shape, outShape: Shape): Storage {
    const cd = this.dataOf(cond, 'where'), ad = this.dataOf(a, 'where'), bd = this.dataOf(b, 'where');
    const dtype = this.sameDtype('where', a, b);
    checkShape(outShape, 'where', 'output');
    const out = this.alloc(dtype, sizeOf(outShape));
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
    checkCount('reduce', 'outer', outer); checkCount('reduce', 'n', n); checkCount('reduce', 'inner', inner);
    const outDtype: DType = op === 'argmax' || op === 'argmin' ? 'int32' : x.dtype;
    const out = this.alloc(outDtype, outer * inner);
    reduceKernel(op, xd, x.dtype, outer, n, inner, out.data);
    return out;
  }

  softmax(x: Storage, rows: number, n: number, log: boolean): Storage {
    const xd = this.dataAs(x, ['float32', 'float64'], 'softmax', 'x');
    checkCount('softmax', 'rows', rows); checkCount('softmax', 'n', n);
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
    checkShape(outShape, 'broadcastTo', 'output');
    const out = this.alloc(x.dtype, sizeOf(outShape));
    broadcastToKernel(xd, inShape, outShape, out.data);
    return out;
  }

  slice(x: Storage, shape: Shape, begin: readonly number[], step: readonly number[], outShape: Shape): Storage {
    const xd = this.dataOf(x, 'slice');
    checkShape(outShape, 'slice', 'output');
    const out = this.alloc(x.dtype, sizeOf(outShape));
    sliceKernel(xd, shape, begin, step, outShape, out.data);
    return out;
  }

  sliceWrite(src: Storage, srcShape: Shape, fullShape: Shape, begin: readonly number[], step: readonly number[]): Storage {
    const sd = this.dataOf(src, 'sliceWrite');
    checkShape(fullShape, 'sliceWrite', 'full shape');
    const out = this.alloc(src.dtype, sizeOf(fullShape));
    sliceWriteKernel(sd, srcShape, fullShape, begin, step, out.data);
    return out;
  }

  concat(xs: readonly Storage[], outer: number, widths: readonly number[]): Storage {
    if (xs.length === 0) throw new Error(`${this.name}: concat of no inputs`);
    const datas = xs.map((x) => this.dataOf(x, 'concat'));
    const dtype = this.sameDtype('concat', xs[0]!, ...xs.slice(1));
    checkCount('concat', 'outer', outer);
    widths.forEach((w, i) => checkCount('concat', `widths[${i}]`, w));
    const out = this.alloc(dtype, outer * widths.reduce((s, w) => s + w, 0));
    concatKernel(datas, outer, widths, out.data);
    return out;
  }

  gather(x: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    const xd = this.dataOf(x, 'gather');
    const ix = this.indicesOf(indices, 'gather');
    checkCount('gather', 'outer', outer); checkCount('gather', 'n', n); checkCount('gather', 'inner', inner);
    const out = this.alloc(x.dtype, outer * ix.length * inner);
    gatherKernel(xd, ix, outer, n, inner, out.data);
    return out;
  }

  scatterAdd(src: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    const sd = this.dataOf(src, 'scatterAdd');
    const ix = this.indicesOf(indices, 'scatterAdd');
    checkCount('scatterAdd', 'outer', outer); checkCount('scatterAdd', 'n', n); checkCount('scatterAdd', 'inner', inner);
    const out = this.alloc(src.dtype, outer * n * inner);
    scatterAddKernel(sd, ix, outer, n, inner, out.data, src.dtype === 'int32');
    return out;
  }

  // ---- linear algebra ----

  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    const ad = this.dataOf(a, 'matmul'), bd = this.dataOf(b, 'matmul');
    const dtype = p.bias ? this.sameDtype('matmul', a, b, p.bias) : this.sameDtype('matmul', a, b);
    const bias = p.bias ? this.dataOf(p.bias, 'matmul') : null;
    const activation = activationFunction(p.activation, dtype);
    checkCount('matmul', 'batch', p.batch); checkCount('matmul', 'm', p.m); checkCount('matmul', 'n', p.n);
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
    const FLOATS: DType[] = ['float32', 'float64'];
    const ed = this.dataAs(experts, FLOATS, 'gatedMixture', 'experts');
    const gd = this.dataAs(gateLogits, FLOATS, 'gatedMixture', 'gateLogits');
    const dtype = this.sameDtype('gatedMixture', experts, gateLogits);
    checkMixtureParams('gatedMixture', p);
    const out = this.alloc(dtype, p.t * p.b * p.d), weights = this.alloc(dtype, p.t * p.b * p.e);
    gatedMixtureKernel(ed, gd, p, out.data, weights.data);
    return { out, weights };
  }

  gatedMixtureBackward(gOut: Storage, experts: Storage, weights: Storage, p: MixtureParams): { gExperts: Storage; gLogits: Storage } {
    const FLOATS: DType[] = ['float32', 'float64'];
    const god = this.dataAs(gOut, FLOATS, 'gatedMixtureBackward', 'gOut');
    const ed = this.dataOf(experts, 'gatedMixtureBackward'), wd = this.dataOf(weights, 'gatedMixtureBackward');
    const dtype = this.sameDtype('gatedMixtureBackward', gOut, experts, weights);
    checkMixtureParams('gatedMixtureBackward', p);
    const gExperts = this.alloc(dtype, p.e * p.b * p.d), gLogits = this.alloc(dtype, p.t * p.b * p.e);
    gatedMixtureBackwardKernel(god, ed, wd, p, gExperts.data, gLogits.data);
    return { gExperts, gLogits };
  }

  bceWithLogits(logits: Storage, targets: Storage): Storage {
    const ld = this.dataAs(logits, ['float32', 'float64'], 'bceWithLogits', 'logits'), td = this.dataOf(targets, 'bceWithLogits');
    const out = this.alloc(this.sameDtype('bceWithLogits', logits, targets), ld.length);
    bceWithLogitsKernel(ld, td, out.data);
    return out;
  }

  bceWithLogitsGrad(logits: Storage, targets: Storage): Storage {
    const ld = this.dataAs(logits, ['float32', 'float64'], 'bceWithLogitsGrad', 'logits'), td = this.dataOf(targets, 'bceWithLogitsGrad');
    const out = this.alloc(this.sameDtype('bceWithLogitsGrad', logits, targets), ld.length);
    bceWithLogitsGradKernel(ld, td, out.data);
    return out;
  }

  // ---- optimizer updates (in place) ----

  /** The typed arrays of an optimizer's buffers: all float, same dtype and size as param. */
  protected optimizerBuffers(kernel: string, param: Storage, others: Storage[]): TypedArray[] {
    const pd = this.dataAs(param, ['float32', 'float64'], kernel, 'param');
    this.sameDtype(kernel, param, ...others);
    return [pd, ...others.map((s) => {
      const d = this.dataOf(s, kernel);
      if (d.length !== pd.length) throw new Error(`${this.name}: ${kernel} buffer has ${d.length} elements, param has ${pd.length}`);
      return d;
    })];
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

