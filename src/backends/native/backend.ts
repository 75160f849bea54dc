/**
 * NativeBackend: the js backend's storage (typed arrays) with its hot kernels replaced by C++ addon calls that
 * read and write those typed arrays in place (zero copy). Each override handles the dtypes the addon implements
 * (float32 everywhere; float64 for matmul/gather/scatterAdd/cast/random; every dtype for gather/cast/random) and
 * defers everything else to the js implementation, so the backend is always complete.
 */
import type {
  AdagradParams, AdamParams, BackendInfo, BinaryOp, DType, MatmulParams, MixtureParams, RandomParams, ReduceOp, RowSelection,
  SgdParams, Shape, Storage, UnaryArgs, UnaryOp,
} from '../kernels.js';
import { JsBackend } from '../js/backend.js';
import { activationFunction } from '../js/scalar.js';
import type { NativeAddon } from './addon.js';
import { broadcastStrides, checkShape, checkSize, contiguousStrides, sizeOf } from '../js/shape.js';
import {
  checkBroadcast, checkCount, checkIndices, checkLength, checkMatmul, checkRandom, permuteView, sliceView,
} from './checks.js';
import { ACTIVATION_CODES, BINARY_CODES, DIST_CODES, LAYOUT_CODES, REDUCE_CODES, UNARY_CODES } from './opcodes.js';
import { checkMixtureParams } from '../checks.js';

type F32 = Float32Array;

/** Most axes the addon's strided kernels take; higher ranks (never seen in practice) use the js kernels. */
const MAX_RANK = 32;

export class NativeBackend extends JsBackend {
  readonly addon: NativeAddon;

  constructor(addon: NativeAddon) {
    super('native');
    this.addon = addon;
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

  #f32(s: Storage, kernel: string): F32 {
    return this.dataOf(s, kernel) as F32;
  }

  // ---- elementwise ----

  override unary(op: UnaryOp, x: Storage, args?: UnaryArgs): Storage {
    if (x.dtype !== 'float32' || !Object.hasOwn(UNARY_CODES, op)) return super.unary(op, x, args);
    const xd = this.#f32(x, 'unary');
    const alpha = args?.alpha ?? (op === 'elu' ? 1 : 0.01);
    const out = this.allocUninit('float32', xd.length);
    this.addon.unary(UNARY_CODES[op], xd, out.data as F32, alpha);
    return out;
  }

  override binary(op: BinaryOp, a: Storage, b: Storage, aShape: Shape, bShape: Shape, outShape: Shape): Storage {
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !Object.hasOwn(BINARY_CODES, op)) {
      return super.binary(op, a, b, aShape, bShape, outShape);
    }
    const ad = this.#f32(a, 'binary'), bd = this.#f32(b, 'binary');
    checkBroadcast('binary', [{ what: 'a', shape: aShape, size: ad.length }, { what: 'b', shape: bShape, size: bd.length }], outShape);
    const out = this.allocUninit('float32', outShape.reduce((s, d) => s * d, 1));
    this.addon.binary(BINARY_CODES[op], ad, bd, out.data as F32, aShape, bShape, outShape);
    return out;
  }

  override cast(x: Storage, dtype: DType): Storage {
    const xd = this.dataOf(x, 'cast');
    const out = this.allocUninit(dtype, xd.length);
    this.addon.cast(xd, out.data);
    return out;
  }

  // ---- reductions ----

  override reduce(op: ReduceOp, x: Storage, outer: number, n: number, inner: number): Storage {
    if (x.dtype !== 'float32' || !Object.hasOwn(REDUCE_CODES, op)) return super.reduce(op, x, outer, n, inner);
    const xd = this.#f32(x, 'reduce');
    checkCount('reduce', 'outer', outer); checkCount('reduce', 'n', n); checkCount('reduce', 'inner', inner);
    checkLength('reduce', 'x', xd.length, outer * n * inner);
    if (n === 0 && op !== 'sum' && op !== 'prod') throw new Error(`reduce: '${op}' over an empty axis (n = 0)`);
    const out = this.allocUninit(op === 'argmax' || op === 'argmin' ? 'int32' : 'float32', outer * inner);
    this.addon.reduce(REDUCE_CODES[op], xd, out.data as F32 | Int32Array, outer, n, inner);
    return out;
  }

  override softmax(x: Storage, rows: number, n: number, log: boolean): Storage {
    if (x.dtype !== 'float32') return super.softmax(x, rows, n, log);
    const xd = this.#f32(x, 'softmax');
    checkCount('softmax', 'rows', rows); checkCount('softmax', 'n', n);
    checkLength('softmax', 'x', xd.length, rows * n);
    const out = this.allocUninit('float32', rows * n);
    this.addon.softmax(xd, out.data as F32, rows, n, log);
    return out;
  }

  // ---- data movement: every copy kernel is one strided copy in C++ (dtype-agnostic) ----

  override where(cond: Storage, a: Storage, b: Storage, condShape: Shape, aShape: Shape, bShape: Shape, outShape: Shape): Storage {
    if (outShape.length > MAX_RANK) return super.where(cond, a, b, condShape, aShape, bShape, outShape);
    const cd = this.dataOf(cond, 'where'), ad = this.dataOf(a, 'where'), bd = this.dataOf(b, 'where');
    const dtype = this.sameDtype('where', a, b);
    checkShape(outShape, 'where', 'output');
    checkSize(cd.length, sizeOf(condShape), 'where', `cond (shape [${condShape.join(',')}])`);
    checkSize(ad.length, sizeOf(aShape), 'where', `a (shape [${aShape.join(',')}])`);
    checkSize(bd.length, sizeOf(bShape), 'where', `b (shape [${bShape.join(',')}])`);
    broadcastStrides(condShape, outShape, 'where', 'cond');
    broadcastStrides(aShape, outShape, 'where', 'a');
    broadcastStrides(bShape, outShape, 'where', 'b');
    const out = this.allocUninit(dtype, sizeOf(outShape));
    this.addon.where(cd, ad, bd, out.data, condShape, aShape, bShape, outShape);
    return out;
  }

  override permute(x: Storage, shape: Shape, perm: readonly number[]): Storage {
    if (shape.length > MAX_RANK) return super.permute(x, shape, perm);
    const xd = this.dataOf(x, 'permute');
    const { outShape, strides } = permuteView(xd.length, shape, perm);
    const out = this.allocUninit(x.dtype, xd.length);
    this.addon.copyStrided(xd, out.data, outShape, strides, 0, null, 0);
    return out;
  }

  override broadcastTo(x: Storage, inShape: Shape, outShape: Shape): Storage {
    if (outShape.length > MAX_RANK) return super.broadcastTo(x, inShape, outShape);
    const xd = this.dataOf(x, 'broadcastTo');
    checkShape(outShape, 'broadcastTo', 'output');
    checkSize(xd.length, sizeOf(inShape), 'broadcastTo', `x (shape [${inShape.join(',')}])`);
    const strides = broadcastStrides(inShape, outShape, 'broadcastTo', 'x');
    const out = this.allocUninit(x.dtype, sizeOf(outShape));
    this.addon.copyStrided(xd, out.data, outShape, strides, 0, null, 0);
    return out;
  }

  override slice(x: Storage, shape: Shape, begin: readonly number[], step: readonly number[], outShape: Shape): Storage {
    if (shape.length > MAX_RANK) return super.slice(x, shape, begin, step, outShape);
    const xd = this.dataOf(x, 'slice');
    checkShape(outShape, 'slice', 'output');
    checkSize(xd.length, sizeOf(shape), 'slice', `x (shape [${shape.join(',')}])`);
    const { strides, base } = sliceView('slice', shape, begin, step, outShape);
    const out = this.allocUninit(x.dtype, sizeOf(outShape));
    this.addon.copyStrided(xd, out.data, outShape, strides, base, null, 0);
    return out;
  }

  override sliceWrite(src: Storage, srcShape: Shape, fullShape: Shape, begin: readonly number[], step: readonly number[]): Storage {
    if (fullShape.length > MAX_RANK) return super.sliceWrite(src, srcShape, fullShape, begin, step);
    const sd = this.dataOf(src, 'sliceWrite');
    checkShape(fullShape, 'sliceWrite', 'full shape');
    checkSize(sd.length, sizeOf(srcShape), 'sliceWrite', `src (shape [${srcShape.join(',')}])`);
    const { strides, base } = sliceView('sliceWrite', fullShape, begin, step, srcShape);
    const out = this.alloc(src.dtype, sizeOf(fullShape)); // zeros outside the written view
    this.addon.copyStrided(sd, out.data, srcShape, contiguousStrides(srcShape), 0, strides, base);
    return out;
  }

  override concat(xs: readonly Storage[], outer: number, widths: readonly number[]): Storage {
    if (xs.length === 0) throw new Error(`${this.name}: concat of no inputs`);
    const datas = xs.map((x) => this.dataOf(x, 'concat'));
    const dtype = this.sameDtype('concat', xs[0]!, ...xs.slice(1));
    checkCount('concat', 'outer', outer);
    widths.forEach((w, i) => checkCount('concat', `widths[${i}]`, w));
    if (xs.length !== widths.length) throw new Error(`concat: ${xs.length} inputs but ${widths.length} widths`);
    let total = 0;
    for (let t = 0; t < xs.length; t++) {
      checkSize(datas[t]!.length, outer * widths[t]!, 'concat', `input ${t} (outer ${outer} × width ${widths[t]})`);
      total += widths[t]!;
    }
    const out = this.allocUninit(dtype, outer * total);
    let column = 0;
    for (let t = 0; t < xs.length; t++) {
      const w = widths[t]!;
      if (outer * w > 0) this.addon.copyStrided(datas[t]!, out.data, [outer, w], [w, 1], 0, [total, 1], column);
      column += w;
    }
    return out;
  }


  override gather(x: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    const xd = this.dataOf(x, 'gather');
    const ix = this.indicesOf(indices, 'gather');
    checkCount('gather', 'outer', outer); checkCount('gather', 'n', n); checkCount('gather', 'inner', inner);
    checkLength('gather', `x (outer ${outer} × n ${n} × inner ${inner})`, xd.length, outer * n * inner);
    checkIndices('gather', ix, n);
    const out = this.allocUninit(x.dtype, outer * ix.length * inner);
    this.addon.gather(xd, ix, out.data, outer, n, inner);
    return out;
  }

  override scatterAdd(src: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    if (src.dtype === 'int32') return super.scatterAdd(src, indices, outer, n, inner);
    const sd = this.dataOf(src, 'scatterAdd') as F32 | Float64Array;
    const ix = this.indicesOf(indices, 'scatterAdd');
    checkCount('scatterAdd', 'outer', outer); checkCount('scatterAdd', 'n', n); checkCount('scatterAdd', 'inner', inner);
    checkLength('scatterAdd', `src (outer ${outer} × m ${ix.length} × inner ${inner})`, sd.length, outer * ix.length * inner);
    checkIndices('scatterAdd', ix, n);
    const out = this.allocUninit(src.dtype, outer * n * inner);
    this.addon.scatterAdd(sd, ix, out.data as F32 | Float64Array, outer, n, inner);
    return out;
  }

  // ---- linear algebra ----

  override matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    if (a.dtype === 'int32' || b.dtype === 'int32') return super.matmul(a, b, p);
    const dtype = p.bias ? this.sameDtype('matmul', a, b, p.bias) : this.sameDtype('matmul', a, b);
    const ad = this.dataOf(a, 'matmul'), bd = this.dataOf(b, 'matmul');
    const bias = p.bias ? this.dataOf(p.bias, 'matmul') : null;
    activationFunction(p.activation, dtype); // throws on an unknown activation
    checkMatmul(ad.length, bd.length, p, bias ? bias.length : null);
    const act = ACTIVATION_CODES[p.activation ?? 'none'];
    const out = this.allocUninit(dtype, p.batch * p.m * p.n);
    const call = dtype === 'float32' ? this.addon.sgemm : this.addon.dgemm;
    (call as (...args: unknown[]) => void)(ad, bd, out.data, p.batch, p.m, p.k, p.n, !!p.transA, !!p.transB,
      p.aBatchStride, p.bBatchStride, bias, act);
    return out;
  }

  // ---- random ----

  override random(size: number, dtype: DType, p: RandomParams): Storage {
    // uniform/normal into int32 is an error the js kernel reports.
    if (dtype === 'int32' && p.dist !== 'randint') return super.random(size, dtype, p);
    checkCount('random', 'size', size);
    checkRandom(size, dtype, p);
    const out = this.allocUninit(dtype, size);
    this.addon.random(out.data, DIST_CODES[p.dist], p.seedLo, p.seedHi, p.offset, p.a, p.b);
    return out;
  }

  // ---- fused ----

  override gatedMixture(experts: Storage, gateLogits: Storage, p: MixtureParams): { out: Storage; weights: Storage } {
    if (experts.dtype !== 'float32' || gateLogits.dtype !== 'float32') return super.gatedMixture(experts, gateLogits, p);
    const kernel = 'gatedMixture';
    const ed = this.#f32(experts, kernel), gd = this.#f32(gateLogits, kernel);
    checkMixtureParams(kernel, p);
    checkLength(kernel, 'experts', ed.length, p.e * p.b * p.d);
    checkLength(kernel, 'gateLogits', gd.length, p.t * p.b * p.e);
    const out = this.allocUninit('float32', p.t * p.b * p.d), weights = this.allocUninit('float32', p.t * p.b * p.e);
    this.addon.gatedMixture(ed, gd, out.data as F32, weights.data as F32, p.e, p.b, p.d, p.t, LAYOUT_CODES[p.layout], p.activation === 'relu');
    return { out, weights };
  }

  override gatedMixtureBackward(gOut: Storage, experts: Storage, weights: Storage, p: MixtureParams): { gExperts: Storage; gLogits: Storage } {
    if (gOut.dtype !== 'float32' || experts.dtype !== 'float32' || weights.dtype !== 'float32') {
      return super.gatedMixtureBackward(gOut, experts, weights, p);
    }
    const kernel = 'gatedMixtureBackward';
    const god = this.#f32(gOut, kernel), ed = this.#f32(experts, kernel), wd = this.#f32(weights, kernel);
    checkMixtureParams(kernel, p);
    checkLength(kernel, 'gOut', god.length, p.t * p.b * p.d);
    checkLength(kernel, 'experts', ed.length, p.e * p.b * p.d);
    checkLength(kernel, 'weights', wd.length, p.t * p.b * p.e);
    const gExperts = this.allocUninit('float32', p.e * p.b * p.d), gLogits = this.allocUninit('float32', p.t * p.b * p.e);
    this.addon.gatedMixtureBackward(god, ed, wd, gExperts.data as F32, gLogits.data as F32, p.e, p.b, p.d, p.t, LAYOUT_CODES[p.layout], p.activation === 'relu');
    return { gExperts, gLogits };
  }

  #bce(kernel: string, logits: Storage, targets: Storage, grad: boolean): Storage {
    const ld = this.#f32(logits, kernel), td = this.#f32(targets, kernel);
    checkLength(kernel, 'targets', td.length, ld.length);
    const out = this.allocUninit('float32', ld.length);
    this.addon.bce(ld, td, out.data as F32, grad);
    return out;
  }

  override bceWithLogits(logits: Storage, targets: Storage): Storage {
    if (logits.dtype !== 'float32' || targets.dtype !== 'float32') return super.bceWithLogits(logits, targets);
    return this.#bce('bceWithLogits', logits, targets, false);
  }

  override bceWithLogitsGrad(logits: Storage, targets: Storage): Storage {
    if (logits.dtype !== 'float32' || targets.dtype !== 'float32') return super.bceWithLogitsGrad(logits, targets);
    return this.#bce('bceWithLogitsGrad', logits, targets, true);
  }

  // ---- optimizer updates (in place) ----

  /** The selection's rows after the js backend's validation (bounds, rowSize divides size), or null. */
  #rows(kernel: string, size: number, sel?: RowSelection): Int32Array | null {
    if (!sel) return null;
    this.rangesOf(kernel, size, sel);
    return this.indicesOf(sel.rows, kernel);
  }

  override sgdUpdate(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams, sel?: RowSelection): void {
    if (param.dtype !== 'float32') return super.sgdUpdate(param, grad, momentumBuf, p, sel);
    const [pd, gd, bd] = this.optimizerBuffers('sgdUpdate', param, momentumBuf ? [grad, momentumBuf] : [grad]);
    if (p.momentum !== 0 && !bd) throw new Error(`sgdUpdate: momentum ${p.momentum} needs a momentum buffer`);
    const rows = this.#rows('sgdUpdate', pd!.length, sel);
    // Without momentum the buffer is never read (as in the reference).
    this.addon.sgd(pd as F32, gd as F32, p.momentum !== 0 ? (bd as F32) : null, rows, sel?.rowSize ?? 0, p.lr,
      p.momentum, p.dampening, p.nesterov, p.weightDecay, p.firstStep);
  }

  override adamUpdate(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams, sel?: RowSelection): void {
    if (param.dtype !== 'float32') return super.adamUpdate(param, grad, m, v, p, sel);
    const [pd, gd, md, vd] = this.optimizerBuffers('adamUpdate', param, [grad, m, v]);
    if (!Number.isInteger(p.step) || p.step < 1) throw new Error(`adamUpdate: step ${p.step} must be a 1-based integer`);
    const rows = this.#rows('adamUpdate', pd!.length, sel);
    this.addon.adam(pd as F32, gd as F32, md as F32, vd as F32, rows, sel?.rowSize ?? 0, p.lr, p.beta1, p.beta2, p.eps,
      p.weightDecay, p.decoupled, p.step);
  }

  override adagradUpdate(param: Storage, grad: Storage, sum: Storage, p: AdagradParams, sel?: RowSelection): void {
    if (param.dtype !== 'float32') return super.adagradUpdate(param, grad, sum, p, sel);
    const [pd, gd, sd] = this.optimizerBuffers('adagradUpdate', param, [grad, sum]);
    if (!Number.isInteger(p.step) || p.step < 1) throw new Error(`adagradUpdate: step ${p.step} must be a 1-based integer`);
    const rows = this.#rows('adagradUpdate', pd!.length, sel);
    this.addon.adagrad(pd as F32, gd as F32, sd as F32, rows, sel?.rowSize ?? 0, p.lr, p.eps, p.weightDecay, p.lrDecay, p.step);
  }
}
