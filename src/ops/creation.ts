/** Creating tensors: from data, constants, ranges, and the seeded counter-based random stream. */
import type { Backend, DType, RandomParams, TypedArray } from '../backends/kernels.js';
import { engine } from '../tensor/engine.js';
import type { Tensor, NestedArray } from '../tensor/tensor.js';
import { checkShape, fmt, sizeOf } from '../tensor/shape.js';
import { wrap } from './util.js';
import { rememberHost } from './index-check.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  /** Backend name; defaults to the current one (see init). */
  backend?: string;
}

function targetBackend(op: string, opts: CreateOptions): Backend {
  if (!opts.backend) return engine.backend;
  const b =
    engine.backends.get(opts.backend) ??
    (opts.backend === 'js' ? (engine.backends.get('js') ?? engine.backend) : undefined);
  if (!b)
    throw new Error(
      `${op}: backend '${opts.backend}' is not initialised; call await init({ backend: '${opts.backend}' })`,
    );
  return b;
}

/** Each backend's dtypes, asked once: info() is not free (the native addon describes the CPU on every call). */
const backendDtypes = new WeakMap<Backend, readonly DType[]>();

function checkDtype(op: string, b: Backend, dtype: DType): void {
  let dtypes = backendDtypes.get(b);
  if (!dtypes) {
    dtypes = b.info().dtypes;
    backendDtypes.set(b, dtypes);
  }
  if (!dtypes.includes(dtype)) {
    throw new Error(`${op}: backend '${b.name}' does not support ${dtype} (supported: ${dtypes.join(', ')})`);
  }
}

function finish(op: string, t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) {
    if (t.dtype === 'int32') throw new Error(`${op}: an int32 tensor cannot require grad`);
    t.requiresGrad = true;
  }
  return t;
}

export function typedArrayFor(dtype: DType, n: number): TypedArray {
  return dtype === 'float64' ? new Float64Array(n) : dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as NestedArray;
    if (cur === undefined) break;
  }
  return shape;
}

function flattenInto(op: string, data: NestedArray, shape: number[], out: TypedArray): void {
  let pos = 0;
  const walk = (v: NestedArray, axis: number, path: number[]): void => {
    if (axis === shape.length) {
      if (typeof v !== 'number')
        throw new Error(
          `${op}: expected a number at [${path.join(',')}], got ${Array.isArray(v) ? 'an array' : typeof v}`,
        );
      if (out instanceof Int32Array && !Number.isInteger(v))
        throw new Error(`${op}: int32 tensor given a non-integer value ${v} at [${path.join(',')}]`);
      out[pos++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[axis]) {
      throw new Error(
        `${op}: ragged nested array at [${path.join(',')}]: expected ${shape[axis]} elements like the first row, got ${Array.isArray(v) ? v.length : 'a number'}`,
      );
    }
    v.forEach((x, i) => walk(x, axis + 1, [...path, i]));
  };
  walk(data, 0, []);
}

function isTypedArray(x: unknown): x is TypedArray {
  return x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array;
}

function dtypeOfArray(x: TypedArray): DType {
  return x instanceof Float64Array ? 'float64' : x instanceof Int32Array ? 'int32' : 'float32';
}

/**
 * A tensor from a number, a nested array, or a typed array (with `shape`; a typed array's own element type is its
 * default dtype). Values are copied, unless `copy: false` (a typed array of the tensor's dtype only): the tensor
 * then reads the array in place on the host-memory backends (js, native; WebGPU uploads it anyway), and the
 * array must not change while the tensor is alive. Scoring uses it so a batch is not copied before its one read.
 */
export function tensor(
  data: NestedArray | TypedArray,
  opts: CreateOptions & { shape?: readonly number[]; copy?: boolean } = {},
): Tensor {
  const op = 'tensor';
  const b = targetBackend(op, opts);
  let shape: number[];
  let dtype: DType;
  let flat: TypedArray;
  if (isTypedArray(data)) {
    dtype = opts.dtype ?? dtypeOfArray(data);
    shape = opts.shape ? checkShape(op, opts.shape) : [data.length];
    if (sizeOf(shape) !== data.length)
      throw new Error(`${op}: shape ${fmt(shape)} needs ${sizeOf(shape)} values, got a typed array of ${data.length}`);
    if (opts.copy === false) {
      if (dtypeOfArray(data) !== dtype)
        throw new Error(
          `${op}: copy: false needs a typed array of the tensor's dtype ${dtype}, got a ${dtypeOfArray(data)} array`,
        );
      checkDtype(op, b, dtype);
      const s = b.borrow(data, dtype);
      rememberHost(s, data, true);
      return finish(op, wrap(s, shape), opts);
    }
    flat = dtypeOfArray(data) === dtype ? data : typedArrayFor(dtype, data.length);
    if (flat !== data) {
      if (dtype === 'int32') {
        const bad = data.findIndex((v) => !Number.isInteger(v) || v < -2147483648 || v > 2147483647);
        if (bad >= 0)
          throw new Error(
            `${op}: int32 tensor given ${data[bad]} at index ${bad} (not an int32 value; round it explicitly)`,
          );
      }
      flat.set(data);
    }
  } else {
    if (opts.copy === false)
      throw new Error(
        `${op}: copy: false needs a typed array, got ${Array.isArray(data) ? 'a nested array' : typeof data}`,
      );
    dtype = opts.dtype ?? 'float32';
    shape = inferShape(data);
    if (opts.shape && sizeOf(opts.shape) !== sizeOf(shape))
      throw new Error(`${op}: shape ${fmt(opts.shape)} does not match the data's ${fmt(shape)}`);
    flat = typedArrayFor(dtype, sizeOf(shape));
    flattenInto(op, data, shape, flat);
    if (opts.shape) shape = checkShape(op, opts.shape);
  }
  checkDtype(op, b, dtype);
  const s = b.upload(flat, dtype);
  rememberHost(s, flat, flat === data);
  return finish(op, wrap(s, shape), opts);
}

export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  const s = checkShape('full', shape);
  const b = targetBackend('full', opts);
  const dtype = opts.dtype ?? 'float32';
  checkDtype('full', b, dtype);
  return finish('full', wrap(b.fill(sizeOf(s), value, dtype), s), opts);
}

export const zeros = (shape: readonly number[], opts: CreateOptions = {}): Tensor => full(shape, 0, opts);
export const ones = (shape: readonly number[], opts: CreateOptions = {}): Tensor => full(shape, 1, opts);

function likeOpts(t: Tensor, opts: CreateOptions): CreateOptions {
  return { dtype: t.dtype, backend: t.backendName, ...opts };
}
export const zerosLike = (t: Tensor, opts: CreateOptions = {}): Tensor => full(t.shape, 0, likeOpts(t, opts));
export const onesLike = (t: Tensor, opts: CreateOptions = {}): Tensor => full(t.shape, 1, likeOpts(t, opts));
export const fullLike = (t: Tensor, v: number, opts: CreateOptions = {}): Tensor => full(t.shape, v, likeOpts(t, opts));

/** Evenly spaced values in [start, end) (NumPy arange); arange(n) = [0, n). */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step))
    throw new Error(`arange: step must be a finite non-zero number, got ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? (Number.isInteger(start) && Number.isInteger(step) ? 'int32' : 'float32');
  const flat = typedArrayFor(dtype, n);
  for (let i = 0; i < n; i++) flat[i] = start + i * step;
  return tensor(flat, { ...opts, dtype, shape: [n] });
}

/** The n×m identity (m defaults to n). */
export function eye(n: number, m = n, opts: CreateOptions = {}): Tensor {
  checkShape('eye', [n, m]);
  const dtype = opts.dtype ?? 'float32';
  const flat = typedArrayFor(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) flat[i * m + i] = 1;
  return tensor(flat, { ...opts, dtype, shape: [n, m] });
}

function random(
  op: string,
  shape: readonly number[],
  dist: RandomParams['dist'],
  a: number,
  b: number,
  opts: CreateOptions,
  dtype: DType,
): Tensor {
  const s = checkShape(op, shape);
  const be = targetBackend(op, opts);
  checkDtype(op, be, dtype);
  const n = sizeOf(s);
  const p: RandomParams = {
    dist,
    seedLo: engine.seedLo,
    seedHi: engine.seedHi,
    offset: engine.takeRandomOffset(n),
    a,
    b,
  };
  return finish(op, wrap(be.random(n, dtype, p), s), { ...opts, dtype });
}

/** Uniform on [low, high). */
export function rand(shape: readonly number[], opts: CreateOptions & { low?: number; high?: number } = {}): Tensor {
  const dtype = opts.dtype ?? 'float32';
  if (dtype === 'int32') throw new Error('rand: dtype must be float (use randint for integers)');
  return random('rand', shape, 'uniform', opts.low ?? 0, opts.high ?? 1, opts, dtype);
}

/** Normal with the given mean and std (default standard normal). */
export function randn(shape: readonly number[], opts: CreateOptions & { mean?: number; std?: number } = {}): Tensor {
  const dtype = opts.dtype ?? 'float32';
  if (dtype === 'int32') throw new Error('randn: dtype must be float');
  return random('randn', shape, 'normal', opts.mean ?? 0, opts.std ?? 1, opts, dtype);
}

/** Integers uniform on [low, high), int32. */
export function randint(low: number, high: number, shape: readonly number[], opts: CreateOptions = {}): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low || low < -(2 ** 31) || high > 2 ** 31) {
    throw new Error(`randint: need integers low < high within int32, got [${low}, ${high})`);
  }
  return random('randint', shape, 'randint', low, high, opts, 'int32');
}
