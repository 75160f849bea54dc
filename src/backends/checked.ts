/**
 * The validating layer between ops and backends: every kernel call is checked here once (checks.ts, one wording
 * for every backend) and then dispatched to the backend, which implements only the arithmetic. The engine
 * registers every backend behind this layer, so ops, the tape and optimizers always go through it; kernel tests
 * wrap the raw backends the same way (`checked(backend)`).
 */
import { type Backend, KERNEL_NAMES } from './kernels.js';
import * as check from './checks.js';

type KernelName = (typeof KERNEL_NAMES)[number];

/** The check run before each kernel, on the kernel's own arguments (kernels with nothing to check are absent). */
const CHECKS: { [K in KernelName]?: (...args: Parameters<Backend[K]>) => void } = {
  fill: (size) => check.checkCount('fill', 'size', size),
  unary: (op, x) => check.checkUnary(op, x),
  binary: (_op, a, b, aShape, bShape, outShape) => check.checkBinary(a, b, aShape, bShape, outShape),
  where: (cond, a, b, condShape, aShape, bShape, outShape) => {
    check.sameDtype('where', a, b);
    check.checkBroadcastOperands(
      'where',
      [
        ['cond', cond, condShape],
        ['a', a, aShape],
        ['b', b, bShape],
      ],
      outShape,
    );
  },
  reduce: check.checkReduce,
  softmax: check.checkSoftmax,
  permute: check.checkPermute,
  broadcastTo: (x, inShape, outShape) => check.checkBroadcastOperands('broadcastTo', [['x', x, inShape]], outShape),
  slice: check.checkSlice,
  sliceWrite: check.checkSliceWrite,
  concat: check.checkConcat,
  gather: (x, indices, outer, n, inner) => check.checkIndexed('gather', x, indices, outer, n, inner),
  scatterAdd: (src, indices, outer, n, inner) => check.checkIndexed('scatterAdd', src, indices, outer, n, inner),
  matmul: check.checkMatmulCall,
  random: check.checkRandom,
  gatedMixture: check.checkGatedMixture,
  gatedMixtureBackward: check.checkGatedMixtureBackward,
  bceWithLogits: (logits, targets) => check.checkBce('bceWithLogits', logits, targets),
  bceWithLogitsGrad: (logits, targets) => check.checkBce('bceWithLogitsGrad', logits, targets),
  sgdUpdate: check.checkSgd,
  adamUpdate: check.checkAdam,
  adagradUpdate: check.checkAdagrad,
};

/**
 * The kernels small eager ops call most, wrapped with their fixed arity: the generic wrapper below gathers and
 * spreads its arguments (an array per call), which is a measurable part of an 8×8 op. Same checks, same order.
 */
const HOT = {
  binary:
    (b: Backend): Backend['binary'] =>
    (op, x, y, xShape, yShape, outShape) => {
      check.checkBinary(x, y, xShape, yShape, outShape);
      return b.binary(op, x, y, xShape, yShape, outShape);
    },
  unary:
    (b: Backend): Backend['unary'] =>
    (op, x, args) => {
      check.checkUnary(op, x);
      return b.unary(op, x, args);
    },
};

/** A backend behind the validating layer; `inner` is the raw backend (for its own extras, e.g. setNumThreads). */
export type CheckedBackend<B extends Backend = Backend> = Backend & {
  readonly inner: B;
  /** Releases the wrapped backend's device where it has one (WebGPU). */
  destroy(): void;
};

const layers = new WeakSet<object>();

/** `b` behind the validating layer (idempotent). */
export function checked<B extends Backend>(b: B | CheckedBackend<B>): CheckedBackend<B> {
  if (layers.has(b) && 'inner' in b) return b;
  const inner = b as B;
  const layer: Partial<Record<KernelName, unknown>> = {};
  for (const k of KERNEL_NAMES) {
    const hot = HOT[k as keyof typeof HOT];
    if (hot) {
      layer[k] = hot(inner);
      continue;
    }
    const run = (inner[k] as (...args: unknown[]) => unknown).bind(inner);
    const before = CHECKS[k] as ((...args: unknown[]) => void) | undefined;
    layer[k] = before
      ? (...args: unknown[]) => {
          before(...args);
          return run(...args);
        }
      : run;
  }
  const extras = {
    name: inner.name,
    inner,
    info: () => inner.info(),
    destroy: () => (inner as { destroy?: () => void }).destroy?.(),
  };
  const wrapped = Object.assign(layer, extras) as CheckedBackend<B>;
  layers.add(wrapped);
  return wrapped;
}
