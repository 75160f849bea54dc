/**
 * NativeBackend: the js backend's storage (typed arrays) with its hot kernels replaced by C++ addon calls that
 * read and write those typed arrays in place (zero copy). Arguments are validated before dispatch (../checked.ts),
 * so an override here is arithmetic only: pick the addon call when NATIVE_DTYPES says the addon implements the
 * kernel for these dtypes, else defer to the js reference, so the backend is always complete.
 */
import type {
  AdagradParams,
  AdamParams,
  BackendInfo,
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
  UnaryArgs,
  UnaryOp,
} from '../kernels.js';
import { JsBackend } from '../js/backend.js';
import { checkIndices } from '../js/movement.js';
import { denseFloatBinaryKernel } from '../js/elementwise.js';
import { opCodes, type NativeAddon } from './addon.js';
import {
  NATIVE_MAX_RANK,
  broadcastView,
  concatViews,
  denseView,
  permuteView,
  sizeOf,
  sliceView,
  type StridedView,
} from '../strided-view.js';

type F32 = Float32Array;

const F32_ONLY: readonly DType[] = ['float32'];
const FLOATS: readonly DType[] = ['float32', 'float64'];
const ALL: readonly DType[] = ['float32', 'float64', 'int32'];

/**
 * The one place that says which dtypes the addon implements, per kernel: every other call runs the js reference.
 * The strided copies are dtype-agnostic; they also need rank <= NATIVE_MAX_RANK (higher ranks run in js).
 */
const NATIVE_DTYPES = {
  unary: F32_ONLY,
  binary: F32_ONLY,
  reduce: F32_ONLY,
  softmax: F32_ONLY,
  gatedMixture: F32_ONLY,
  gatedMixtureBackward: F32_ONLY,
  bce: F32_ONLY,
  sgdUpdate: F32_ONLY,
  adamUpdate: F32_ONLY,
  adagradUpdate: F32_ONLY,
  matmul: FLOATS,
  scatterAdd: FLOATS,
  cast: ALL,
  where: ALL,
  gather: ALL,
  random: ALL,
  permute: ALL,
  broadcastTo: ALL,
  slice: ALL,
  sliceWrite: ALL,
  concat: ALL,
} as const;

/**
 * Elementwise ops on at most this many elements run as JS loops where that is exact (see denseFloatBinaryKernel):
 * one N-API crossing costs about a microsecond, the JS loop about a nanosecond per element.
 */
const JS_BELOW_ELEMENTS = 512;

function runsNative(kernel: keyof typeof NATIVE_DTYPES, dtypes: readonly DType[], rank = 0): boolean {
  const supported: readonly DType[] = NATIVE_DTYPES[kernel];
  return rank <= NATIVE_MAX_RANK && dtypes.every((d) => supported.includes(d));
}

export class NativeBackend extends JsBackend {
  readonly addon: NativeAddon;
  /** Op name → code, from the addon's own op names (checked at load to cover NEEDED_OPS). */
  readonly #codes: {
    unary: Record<UnaryOp, number>;
    binary: Record<BinaryOp, number>;
    reduce: Record<ReduceOp, number>;
  };

  constructor(addon: NativeAddon) {
    super('native');
    this.addon = addon;
    this.#codes = {
      unary: opCodes<UnaryOp>(addon.opNames.unary),
      binary: opCodes<BinaryOp>(addon.opNames.binary),
      reduce: opCodes<ReduceOp>(addon.opNames.reduce),
    };
  }

  override info(): BackendInfo {
    const i = this.addon.info();
    return {
      ...super.info(),
      description: `C++ addon, ${i.description}, ${i.threads} threads`,
      isa: i.isa,
      threads: i.threads,
    };
  }

  /** Threads used by the addon's pool (MTGRAD_NUM_THREADS sets the initial value). */
  setNumThreads(n: number): void {
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`native: setNumThreads(${n}) needs a positive integer`);
    this.addon.setNumThreads(n);
  }

  /** A float32 storage's array (the dtype is settled by NATIVE_DTYPES before any call). */
  #f32(kernel: string, s: Storage): F32 {
    return this.dataOf(s, kernel) as F32;
  }

  // ---- elementwise ----

  override unary(op: UnaryOp, x: Storage, args?: UnaryArgs): Storage {
    if (!runsNative('unary', [x.dtype])) return super.unary(op, x, args);
    const out = this.allocUninit('float32', x.size);
    this.addon.unary(
      this.#codes.unary[op],
      this.#f32('unary', x),
      out.data as F32,
      args?.alpha ?? (op === 'elu' ? 1 : 0.01),
    );
    return out;
  }

  override binary(op: BinaryOp, a: Storage, b: Storage, aShape: Shape, bShape: Shape, outShape: Shape): Storage {
    if (!runsNative('binary', [a.dtype, b.dtype])) return super.binary(op, a, b, aShape, bShape, outShape);
    const size = sizeOf(outShape);
    const out = this.allocUninit('float32', size);
    const ad = this.#f32('binary', a),
      bd = this.#f32('binary', b);
    // A tiny op costs more to cross into the addon than to compute: the exact ops run in JS there (bit-identical).
    if (size <= JS_BELOW_ELEMENTS && denseFloatBinaryKernel(op, ad, bd, out.data)) return out;
    this.addon.binary(this.#codes.binary[op], ad, bd, out.data as F32, aShape, bShape, outShape);
    return out;
  }

  override cast(x: Storage, dtype: DType): Storage {
    const out = this.allocUninit(dtype, x.size);
    this.addon.cast(this.dataOf(x, 'cast'), out.data);
    return out;
  }

  override where(
    cond: Storage,
    a: Storage,
    b: Storage,
    condShape: Shape,
    aShape: Shape,
    bShape: Shape,
    outShape: Shape,
  ): Storage {
    if (!runsNative('where', [a.dtype], outShape.length))
      return super.where(cond, a, b, condShape, aShape, bShape, outShape);
    const out = this.allocUninit(a.dtype, sizeOf(outShape));
    this.addon.where(
      this.dataOf(cond, 'where'),
      this.dataOf(a, 'where'),
      this.dataOf(b, 'where'),
      out.data,
      condShape,
      aShape,
      bShape,
      outShape,
    );
    return out;
  }

  // ---- reductions ----

  override reduce(op: ReduceOp, x: Storage, outer: number, n: number, inner: number): Storage {
    if (!runsNative('reduce', [x.dtype])) return super.reduce(op, x, outer, n, inner);
    const out = this.allocUninit(op === 'argmax' || op === 'argmin' ? 'int32' : 'float32', outer * inner);
    this.addon.reduce(this.#codes.reduce[op], this.#f32('reduce', x), out.data as F32 | Int32Array, outer, n, inner);
    return out;
  }

  override softmax(x: Storage, rows: number, n: number, log: boolean): Storage {
    if (!runsNative('softmax', [x.dtype])) return super.softmax(x, rows, n, log);
    const out = this.allocUninit('float32', rows * n);
    this.addon.softmax(this.#f32('softmax', x), out.data as F32, rows, n, log);
    return out;
  }

  // ---- data movement: every copy kernel is one strided copy in C++ (dtype-agnostic) ----

  /** dst[view] = src[dense], or dst[dense] = src[view] (`read`): the addon's copyStrided. */
  #copy(kernel: string, src: Storage, dst: Storage, view: StridedView, read: boolean): void {
    const data = this.dataOf(src, kernel),
      out = this.dataOf(dst, kernel);
    if (sizeOf(view.shape) === 0) return;
    if (read) this.addon.copyStrided(data, out, view.shape, view.strides, view.offset, null, 0);
    else this.addon.copyStrided(data, out, view.shape, denseView(view.shape).strides, 0, view.strides, view.offset);
  }

  override permute(x: Storage, shape: Shape, perm: readonly number[]): Storage {
    if (!runsNative('permute', [x.dtype], shape.length)) return super.permute(x, shape, perm);
    const out = this.allocUninit(x.dtype, x.size);
    this.#copy('permute', x, out, permuteView(shape, perm), true);
    return out;
  }

  override broadcastTo(x: Storage, inShape: Shape, outShape: Shape): Storage {
    if (!runsNative('broadcastTo', [x.dtype], outShape.length)) return super.broadcastTo(x, inShape, outShape);
    const out = this.allocUninit(x.dtype, sizeOf(outShape));
    this.#copy('broadcastTo', x, out, broadcastView(inShape, outShape), true);
    return out;
  }

  override slice(
    x: Storage,
    shape: Shape,
    begin: readonly number[],
    step: readonly number[],
    outShape: Shape,
  ): Storage {
    if (!runsNative('slice', [x.dtype], shape.length)) return super.slice(x, shape, begin, step, outShape);
    const out = this.allocUninit(x.dtype, sizeOf(outShape));
    this.#copy('slice', x, out, sliceView(shape, begin, step, outShape), true);
    return out;
  }

  override sliceWrite(
    src: Storage,
    srcShape: Shape,
    fullShape: Shape,
    begin: readonly number[],
    step: readonly number[],
  ): Storage {
    if (!runsNative('sliceWrite', [src.dtype], fullShape.length))
      return super.sliceWrite(src, srcShape, fullShape, begin, step);
    const out = this.alloc(src.dtype, sizeOf(fullShape)); // zeros outside the written view
    this.#copy('sliceWrite', src, out, sliceView(fullShape, begin, step, srcShape), false);
    return out;
  }

  override concat(xs: readonly Storage[], outer: number, widths: readonly number[]): Storage {
    const out = this.allocUninit(xs[0]!.dtype, outer * widths.reduce((a, w) => a + w, 0));
    concatViews(outer, widths).forEach((view, t) => this.#copy('concat', xs[t]!, out, view, false));
    return out;
  }

  override gather(x: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    const ix = this.indicesOf(indices, 'gather');
    checkIndices('gather', ix, n);
    const out = this.allocUninit(x.dtype, outer * ix.length * inner);
    this.addon.gather(this.dataOf(x, 'gather'), ix, out.data, outer, n, inner);
    return out;
  }

  override scatterAdd(src: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    if (!runsNative('scatterAdd', [src.dtype])) return super.scatterAdd(src, indices, outer, n, inner);
    const ix = this.indicesOf(indices, 'scatterAdd');
    checkIndices('scatterAdd', ix, n);
    const out = this.allocUninit(src.dtype, outer * n * inner);
    this.addon.scatterAdd(
      this.dataOf(src, 'scatterAdd') as F32 | Float64Array,
      ix,
      out.data as F32 | Float64Array,
      outer,
      n,
      inner,
    );
    return out;
  }

  // ---- linear algebra ----

  override matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    if (!runsNative('matmul', [a.dtype])) return super.matmul(a, b, p);
    const ad = this.dataOf(a, 'matmul'),
      bd = this.dataOf(b, 'matmul');
    const bias = p.bias ? this.dataOf(p.bias, 'matmul') : null;
    const out = this.allocUninit(a.dtype, p.batch * p.m * p.n);
    // The addon reads MatmulParams by field name; booleans must be booleans there (transA/transB may be omitted here).
    const params = { ...p, bias: undefined, transA: !!p.transA, transB: !!p.transB };
    if (a.dtype === 'float32') this.addon.sgemm(ad as F32, bd as F32, out.data as F32, bias as F32 | null, params);
    else
      this.addon.dgemm(
        ad as Float64Array,
        bd as Float64Array,
        out.data as Float64Array,
        bias as Float64Array | null,
        params,
      );
    return out;
  }

  // ---- random ----

  override random(size: number, dtype: DType, p: RandomParams): Storage {
    const out = this.allocUninit(dtype, size);
    this.addon.random(out.data, p);
    return out;
  }

  // ---- fused ----

  override gatedMixture(experts: Storage, gateLogits: Storage, p: MixtureParams): { out: Storage; weights: Storage } {
    if (!runsNative('gatedMixture', [experts.dtype])) return super.gatedMixture(experts, gateLogits, p);
    const out = this.allocUninit('float32', p.t * p.b * p.d),
      weights = this.allocUninit('float32', p.t * p.b * p.e);
    this.addon.gatedMixture(
      this.#f32('gatedMixture', experts),
      this.#f32('gatedMixture', gateLogits),
      out.data as F32,
      weights.data as F32,
      p,
    );
    return { out, weights };
  }

  override gatedMixtureBackward(
    gOut: Storage,
    experts: Storage,
    weights: Storage,
    p: MixtureParams,
  ): { gExperts: Storage; gLogits: Storage } {
    if (!runsNative('gatedMixtureBackward', [gOut.dtype])) return super.gatedMixtureBackward(gOut, experts, weights, p);
    const gExperts = this.allocUninit('float32', p.e * p.b * p.d),
      gLogits = this.allocUninit('float32', p.t * p.b * p.e);
    this.addon.gatedMixtureBackward(
      this.#f32('gatedMixtureBackward', gOut),
      this.#f32('gatedMixtureBackward', experts),
      this.#f32('gatedMixtureBackward', weights),
      gExperts.data as F32,
      gLogits.data as F32,
      p,
    );
    return { gExperts, gLogits };
  }

  override bceWithLogits(logits: Storage, targets: Storage): Storage {
    if (!runsNative('bce', [logits.dtype])) return super.bceWithLogits(logits, targets);
    return this.#bce(logits, targets, false);
  }

  override bceWithLogitsGrad(logits: Storage, targets: Storage): Storage {
    if (!runsNative('bce', [logits.dtype])) return super.bceWithLogitsGrad(logits, targets);
    return this.#bce(logits, targets, true);
  }

  #bce(logits: Storage, targets: Storage, grad: boolean): Storage {
    const out = this.allocUninit('float32', logits.size);
    this.addon.bce(
      this.#f32(grad ? 'bceWithLogitsGrad' : 'bceWithLogits', logits),
      this.#f32(grad ? 'bceWithLogitsGrad' : 'bceWithLogits', targets),
      out.data as F32,
      grad,
    );
    return out;
  }

  // ---- optimizer updates (in place) ----

  /** The selection's rows after the js backend's bounds check, or null. */
  #rows(kernel: string, size: number, sel?: RowSelection): Int32Array | null {
    if (!sel) return null;
    this.rangesOf(kernel, size, sel);
    return this.indicesOf(sel.rows, kernel);
  }

  override sgdUpdate(
    param: Storage,
    grad: Storage,
    momentumBuf: Storage | null,
    p: SgdParams,
    sel?: RowSelection,
  ): void {
    if (!runsNative('sgdUpdate', [param.dtype])) return super.sgdUpdate(param, grad, momentumBuf, p, sel);
    const rows = this.#rows('sgdUpdate', param.size, sel);
    // Without momentum the buffer is never read (as in the reference).
    const buf = p.momentum !== 0 && momentumBuf ? this.#f32('sgdUpdate', momentumBuf) : null;
    this.addon.sgd(this.#f32('sgdUpdate', param), this.#f32('sgdUpdate', grad), buf, rows, sel?.rowSize ?? 0, p);
  }

  override adamUpdate(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams, sel?: RowSelection): void {
    if (!runsNative('adamUpdate', [param.dtype])) return super.adamUpdate(param, grad, m, v, p, sel);
    const rows = this.#rows('adamUpdate', param.size, sel);
    this.addon.adam(
      this.#f32('adamUpdate', param),
      this.#f32('adamUpdate', grad),
      this.#f32('adamUpdate', m),
      this.#f32('adamUpdate', v),
      rows,
      sel?.rowSize ?? 0,
      p,
    );
  }

  override adagradUpdate(param: Storage, grad: Storage, sum: Storage, p: AdagradParams, sel?: RowSelection): void {
    if (!runsNative('adagradUpdate', [param.dtype])) return super.adagradUpdate(param, grad, sum, p, sel);
    const rows = this.#rows('adagradUpdate', param.size, sel);
    this.addon.adagrad(
      this.#f32('adagradUpdate', param),
      this.#f32('adagradUpdate', grad),
      this.#f32('adagradUpdate', sum),
      rows,
      sel?.rowSize ?? 0,
      p,
    );
  }
}
