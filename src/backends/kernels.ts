/**
 * The kernel interface: everything a backend must provide. A backend is storage plus these kernels and knows
 * nothing of autodiff, tensors' graph or broadcasting rules: the engine (src/tensor, src/ops) validates every
 * argument, resolves broadcasting into explicit shapes, and lowers every op to these primitives.
 *
 * Conventions every kernel relies on (the engine guarantees them; backends may assert them cheaply):
 *  - Storage is dense, row-major, contiguous. A kernel never mutates its inputs, except the optimizer
 *    updates, which update their `param` and state buffers in place by design.
 *  - Every kernel returns fresh storage of the documented size and dtype (never an alias of an input).
 *  - Shapes passed together (e.g. `aShape`, `bShape`, `outShape` of `binary`) have the same length; broadcast
 *    dimensions are 1 in the input shape. Sizes may be 0 (empty tensors): a kernel must then return empty storage.
 *  - All integer arguments are non-negative safe integers unless documented otherwise.
 */

export type DType = 'float32' | 'float64' | 'int32';
export type TypedArray = Float32Array | Float64Array | Int32Array;
export type Shape = readonly number[];

/** An opaque handle to a backend's buffer. Only the backend that made it may look inside. */
export interface Storage {
  readonly backend: string;
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
}

/** Every unary op, in one table: the type, the native load check and the tests read it. */
export const UNARY_OPS = [
  'neg',
  'exp',
  'expm1',
  'log',
  'log1p',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'abs',
  'sign',
  'floor',
  'ceil',
  'round',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'logSigmoid',
  'softplus',
  'erf',
  'relu',
  'gelu',
  'geluTanh',
  'elu',
  'leakyRelu',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/**
 * Exact formulas (all backends must agree within float tolerance):
 *  sign(0)=0; round: half away from zero; sigmoid(x)=1/(1+e^-x) computed without overflow;
 *  logSigmoid(x)=min(x,0)-log1p(e^-|x|); softplus(x)=max(x,0)+log1p(e^-|x|);
 *  gelu(x)=x·Φ(x)=0.5x(1+erf(x/√2)); geluTanh(x)=0.5x(1+tanh(√(2/π)(x+0.044715x³)));
 *  elu(x)=x>0?x:alpha·(e^x-1); leakyRelu(x)=x>0?x:alpha·x (alpha from UnaryArgs, default 0.01 / 1.0 for elu).
 *  int32 inputs are accepted only by neg, abs, sign, square (the engine enforces this).
 */
export interface UnaryArgs {
  alpha?: number;
}

/** Every binary op (comparisons last). */
export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'minimum',
  'maximum',
  'mod',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];
/**
 * Comparisons yield 1 or 0 in the inputs' dtype. int32 div truncates toward zero (C semantics); int32 mod is
 * the C remainder; float mod is x - y·floor(x/y) (Python semantics). minimum/maximum propagate NaN.
 */

export const REDUCE_OPS = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export type Activation = 'none' | 'relu' | 'sigmoid' | 'tanh' | 'gelu';

export interface MatmulParams {
  /** Number of matrices in the batch (>= 1). */
  batch: number;
  m: number;
  k: number;
  n: number;
  /** a is stored [m,k] (or [k,m] when transA) per batch entry; b is [k,n] (or [n,k] when transB). */
  transA: boolean;
  transB: boolean;
  /** Element offsets between consecutive batch entries of a and b: m*k / k*n, or 0 to broadcast one matrix. */
  aBatchStride: number;
  bBatchStride: number;
  /** Optional fused epilogue: out = act(a@b + bias), bias of size n broadcast over rows. */
  bias?: Storage;
  activation?: Activation;
}

/**
 * Where expert e's row b lives: 'EBD' = experts [E, B, D] (expert-major: a batched expert MLP's per-expert
 * activations); 'BED' = experts [B, E, D] (batch-major: the output [B, E·D] of one GEMM of the input against all
 * experts' stacked weights, used as is — no transpose in either direction).
 */
export type MixtureLayout = 'EBD' | 'BED';

/** The sizes of a gated mixture: E experts, B rows, width D, T gate sets sharing the experts (T = 1: one gate). */
export interface MixtureParams {
  e: number;
  b: number;
  d: number;
  t: number;
  layout: MixtureLayout;
  /**
   * Applied to the experts as they are read: x = relu(experts) for 'relu' (the experts' own last activation,
   * fused here so that relu(z) is never written and its gradient mask costs no pass of its own). gExperts is
   * then the gradient with respect to the pre-activation experts: Σ_t w·gOut where experts > 0, else 0.
   */
  activation: 'none' | 'relu';
}

export type RandomDist = 'uniform' | 'normal' | 'randint';
/**
 * The counter-based stream (identical on every backend; see src/backends/philox.ts for the reference):
 * element i uses the Philox4x32-10 block with key (seedLo, seedHi) and counter (offset+i mod 2^32,
 * floor((offset+i)/2^32), 0, 0), whose words are w0..w3.
 *  uniform: low + (high-low)·u with u = (w0 >>> 8)·2^-24 in [0,1).
 *  normal:  mean + std·sqrt(-2·ln(u1))·cos(2π·u2), u1 = ((w0 >>> 8)+1)·2^-24 in (0,1], u2 = (w1 >>> 8)·2^-24.
 *  randint: low + mulhi32(w0, high-low) (int32, exact on every backend).
 */
export interface RandomParams {
  dist: RandomDist;
  seedLo: number;
  seedHi: number;
  /** Counter of element 0 (< 2^53). */
  offset: number;
  /** uniform: [a,b) = [low,high); normal: a=mean, b=std; randint: [low, high). */
  a: number;
  b: number;
}

export interface SgdParams {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  /** true on the first step: the momentum buffer is initialised to the gradient (PyTorch semantics). */
  firstStep: boolean;
}
export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decoupled weight decay p -= lr·wd·p; else L2 added to the gradient. */
  decoupled: boolean;
  /** 1-based step count, for bias correction. */
  step: number;
}
export interface AdagradParams {
  lr: number;
  eps: number;
  weightDecay: number;
  lrDecay: number;
  step: number;
}
/**
 * Optimizer updates are in place over flat buffers (all of the same size and dtype). When `rows` is given
 * (int32 row indices, unique), only those rows of a [size/rowSize, rowSize] view are read and updated:
 * the lazy/sparse update for embedding tables; grad is then the full-size gradient.
 */
export interface RowSelection {
  rows: Storage;
  rowSize: number;
}

export interface BackendInfo {
  name: string;
  /** Human-readable device description (CPU features, adapter vendor/architecture...). */
  description: string;
  /** True when readSync works. */
  syncReadback: boolean;
  dtypes: readonly DType[];
  [key: string]: unknown;
}

export interface BackendMemory {
  buffers: number;
  bytes: number;
  [key: string]: number;
}

export interface Backend {
  readonly name: string;
  info(): BackendInfo;

  // ---- storage ----
  /** Copies `data` (whose element type matches dtype) into new storage. */
  upload(data: TypedArray, dtype: DType): Storage;
  /**
   * Storage over `data` without a copy where the backend keeps tensors in host memory (js, native); other backends
   * upload it. The caller must not change `data` while the storage is alive; disposing it leaves `data` alone
   * (it is not recycled into the backend's pool). dtype must be the array's own element type.
   */
  borrow(data: TypedArray, dtype: DType): Storage;
  fill(size: number, value: number, dtype: DType): Storage;
  /** Resolves with a fresh copy of the contents. */
  read(s: Storage): Promise<TypedArray>;
  /** Synchronous read; throws a clear error where the backend cannot (WebGPU). */
  readSync(s: Storage): TypedArray;
  dispose(s: Storage): void;
  memory(): BackendMemory;
  /** Submits queued work (no-op for synchronous backends). */
  flush(): void;

  // ---- elementwise ----
  unary(op: UnaryOp, x: Storage, args?: UnaryArgs): Storage;
  binary(op: BinaryOp, a: Storage, b: Storage, aShape: Shape, bShape: Shape, outShape: Shape): Storage;
  /** out = cond != 0 ? a : b, all broadcast to outShape. cond has any dtype; a,b share the output dtype. */
  where(
    cond: Storage,
    a: Storage,
    b: Storage,
    condShape: Shape,
    aShape: Shape,
    bShape: Shape,
    outShape: Shape,
  ): Storage;
  cast(x: Storage, dtype: DType): Storage;

  // ---- reductions (x viewed as [outer, n, inner], reduced over n; out [outer, inner]) ----
  /** argmax/argmin return int32 (first index of the extreme; NaN counts as the extreme). n=0 is legal for sum
   * (0) and prod (1) only. */
  reduce(op: ReduceOp, x: Storage, outer: number, n: number, inner: number): Storage;
  /** Softmax (or log-softmax) along the last axis of x viewed as [rows, n]. */
  softmax(x: Storage, rows: number, n: number, log: boolean): Storage;

  // ---- data movement ----
  /** out[i_perm...]: out.shape[j] = shape[perm[j]]. */
  permute(x: Storage, shape: Shape, perm: readonly number[]): Storage;
  /** x has inShape (same length as outShape, 1 where broadcast). */
  broadcastTo(x: Storage, inShape: Shape, outShape: Shape): Storage;
  /** out[j...] = x[begin + j*step ...] per axis (step >= 1). */
  slice(x: Storage, shape: Shape, begin: readonly number[], step: readonly number[], outShape: Shape): Storage;
  /** Zeros of fullShape with src (of srcShape) written at begin + j*step: the adjoint of slice. */
  sliceWrite(
    src: Storage,
    srcShape: Shape,
    fullShape: Shape,
    begin: readonly number[],
    step: readonly number[],
  ): Storage;
  /** Concatenation of xs, each viewed as [outer, widths[i]] (widths in elements), into [outer, Σ widths]. */
  concat(xs: readonly Storage[], outer: number, widths: readonly number[]): Storage;
  /** x viewed as [outer, n, inner]; indices int32 of size m, each in [0, n) (else: throw where possible, never
   * read out of bounds); out [outer, m, inner]. */
  gather(x: Storage, indices: Storage, outer: number, n: number, inner: number): Storage;
  /** The adjoint of gather: zeros [outer, n, inner] plus src [outer, m, inner] added at indices (duplicates sum). */
  scatterAdd(src: Storage, indices: Storage, outer: number, n: number, inner: number): Storage;

  // ---- linear algebra ----
  /** Output [batch, m, n]. */
  matmul(a: Storage, b: Storage, p: MatmulParams): Storage;

  // ---- random ----
  random(size: number, dtype: DType, p: RandomParams): Storage;

  // ---- fused kernels ----
  /**
   * T gate sets (tasks) over the same E experts: weights = softmax(gateLogits [T, B, E]) per row (same shape),
   * out[t,b,:] = Σ_e weights[t,b,e]·x[e,b,:] → [T, B, D], where x[e,b,:] is experts[e,b,:] for layout 'EBD' and
   * experts[b,e,:] for 'BED', after p.activation (see MixtureParams).
   */
  gatedMixture(experts: Storage, gateLogits: Storage, p: MixtureParams): { out: Storage; weights: Storage };
  /**
   * Given gOut [T, B, D], experts (layout p.layout) and the forward's weights [T, B, E]:
   * gExperts (same layout as experts) x[e,b,:] = Σ_t weights[t,b,e]·gOut[t,b,:] (one gradient, summed over the tasks;
   * zero where experts ≤ 0 under activation 'relu');
   * gLogits[t,b,e] = weights[t,b,e]·(⟨gOut[t,b],x[e,b]⟩ − Σ_e' weights[t,b,e']·⟨gOut[t,b],x[e',b]⟩) → [T, B, E].
   */
  gatedMixtureBackward(
    gOut: Storage,
    experts: Storage,
    weights: Storage,
    p: MixtureParams,
  ): { gExperts: Storage; gLogits: Storage };
  /** Elementwise max(x,0) − x·y + log1p(e^−|x|). */
  bceWithLogits(logits: Storage, targets: Storage): Storage;
  /** Elementwise sigmoid(x) − y (the gradient of bceWithLogits w.r.t. the logits). */
  bceWithLogitsGrad(logits: Storage, targets: Storage): Storage;

  // ---- optimizer updates (in place) ----
  sgdUpdate(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams, sel?: RowSelection): void;
  adamUpdate(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams, sel?: RowSelection): void;
  adagradUpdate(param: Storage, grad: Storage, sum: Storage, p: AdagradParams, sel?: RowSelection): void;
}

export const KERNEL_NAMES = [
  'upload',
  'borrow',
  'fill',
  'read',
  'readSync',
  'dispose',
  'memory',
  'flush',
  'unary',
  'binary',
  'where',
  'cast',
  'reduce',
  'softmax',
  'permute',
  'broadcastTo',
  'slice',
  'sliceWrite',
  'concat',
  'gather',
  'scatterAdd',
  'matmul',
  'random',
  'gatedMixture',
  'gatedMixtureBackward',
  'bceWithLogits',
  'bceWithLogitsGrad',
  'sgdUpdate',
  'adamUpdate',
  'adagradUpdate',
] as const;

export function bytesPerElement(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}
