/** Matrix products: matmul with NumPy semantics (vectors, batches, broadcast batch) and the fused linear layer. */
import type { Activation } from '../backends/kernels.js';
import { record } from '../autograd/record.js';
import type { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, fmt, sizeOf } from '../tensor/shape.js';
import { assertFloat, backendOf, wrap } from './util.js';
import { broadcastTo, reshape } from './shape.js';
import { sum } from './reduce.js';
import { mul, sub, gelu, where } from './elementwise.js';
import { opScope } from '../tensor/scope.js';

/**
 * The differentiable core: a [Ba, ., .] @ b [Bb, ., .] with op(a) = aᵀ when transA (likewise b), where Ba and Bb are
 * each 1 or the common batch B. Output [B, m, n]. Two 2-D operands are one unbatched product with a 2-D output
 * [m, n] (so a plain matrix product, and its gradients, need no reshapes).
 */
function bmm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const op = 'matmul';
  const be = backendOf(op, a, b);
  const flat = a.ndim === 2 && b.ndim === 2;
  const [Ba, ar, ac] = flat ? [1, a.shape[0], a.shape[1]] : a.shape;
  const [Bb, br, bc] = flat ? [1, b.shape[0], b.shape[1]] : b.shape;
  const m = transA ? ac : ar,
    k = transA ? ar : ac;
  const kb = transB ? bc : br,
    n = transB ? br : bc;
  if (k !== kb) throw new Error(`${op}: inner dimensions differ (${k} vs ${kb})`);
  const batch = Math.max(Ba, Bb);
  const y = wrap(
    be.matmul(a.storage, b.storage, {
      batch,
      m,
      k,
      n,
      transA,
      transB,
      aBatchStride: Ba === 1 ? 0 : m * k,
      bBatchStride: Bb === 1 ? 0 : k * n,
    }),
    flat ? [m, n] : [batch, m, n],
  );
  return record(op, [a, b], y, (g) => {
    let ga: Tensor | null = null,
      gb: Tensor | null = null;
    if (a.requiresGrad) {
      ga = transA
        ? transB
          ? bmm(b, g, true, true)
          : bmm(b, g, false, true)
        : transB
          ? bmm(g, b, false, false)
          : bmm(g, b, false, true);
      if (Ba === 1 && batch > 1) ga = sum(ga, 0, true);
    }
    if (b.requiresGrad) {
      gb = transB
        ? transA
          ? bmm(g, a, true, true)
          : bmm(g, a, true, false)
        : transA
          ? bmm(a, g, false, false)
          : bmm(a, g, true, false);
      if (Bb === 1 && batch > 1) gb = sum(gb, 0, true);
    }
    return [ga, gb];
  });
}

/**
 * Matrix product with NumPy/PyTorch semantics: 1-D operands are promoted (and the added axis removed), batch axes
 * broadcast.
 */
export const matmul = opScope(function matmul(a: Tensor, b: Tensor): Tensor {
  const op = 'matmul';
  backendOf(op, a, b);
  assertFloat(op, a);
  assertFloat(op, b);
  if (a.dtype !== b.dtype)
    throw new Error(`${op}: dtype mismatch ${fmt(a.shape)} ${a.dtype} and ${fmt(b.shape)} ${b.dtype}`);
  if (a.ndim === 0 || b.ndim === 0)
    throw new Error(
      `${op}: operands must be at least 1-D, got ${fmt(a.shape)} and ${fmt(b.shape)} (use mul for scalars)`,
    );
  if (a.ndim === 2 && b.ndim === 2) {
    if (a.shape[1] !== b.shape[0])
      throw new Error(
        `${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not align (${a.shape[1]} != ${b.shape[0]} on the contracted axis)`,
      );
    return bmm(a, b, false, false); // [m, k] @ [k, n]: no batch, no reshape
  }
  const a2 = a.ndim === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.ndim === 1 ? reshape(b, [b.shape[0], 1]) : b;
  const [m, k] = a2.shape.slice(-2);
  const [kb, n] = b2.shape.slice(-2);
  if (k !== kb)
    throw new Error(
      `${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not align (${k} != ${kb} on the contracted axis)`,
    );
  const batchShape = broadcastShapes(op, a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const B = sizeOf(batchShape);
  const to3 = (t: Tensor, rows: number, cols: number): Tensor => {
    const tb = sizeOf(t.shape.slice(0, -2));
    if (tb === B || tb === 1) return reshape(t, [tb, rows, cols]);
    return reshape(broadcastTo(t, [...batchShape, rows, cols]), [B, rows, cols]);
  };
  const y = bmm(to3(a2, m, k), to3(b2, k, n), false, false);
  const outShape = [...batchShape, ...(a.ndim === 1 ? [] : [m]), ...(b.ndim === 1 ? [] : [n])];
  return reshape(y, outShape);
});

/**
 * y = act(x Wᵀ + b) with W [out, in] (PyTorch's layout) and x [..., in], computed by one GEMM with a fused epilogue
 * where the activation's gradient can be formed from y alone (none, relu, sigmoid, tanh); gelu runs unfused.
 */
export const linear = opScope(function linear(
  x: Tensor,
  w: Tensor,
  bias?: Tensor | null,
  activation: Activation = 'none',
): Tensor {
  const op = 'linear';
  const be = backendOf(op, x, w, ...(bias ? [bias] : []));
  assertFloat(op, x);
  if (w.ndim !== 2) throw new Error(`${op}: weight must be 2-D [out, in], got ${fmt(w.shape)}`);
  const [outF, inF] = w.shape;
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF)
    throw new Error(`${op}: input ${fmt(x.shape)} does not end in ${inF} (weight ${fmt(w.shape)} is [out, in])`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outF))
    throw new Error(`${op}: bias must have shape [${outF}], got ${fmt(bias.shape)}`);
  if (x.dtype !== w.dtype || (bias && bias.dtype !== w.dtype))
    throw new Error(
      `${op}: dtype mismatch between input ${x.dtype}, weight ${w.dtype}${bias ? ` and bias ${bias.dtype}` : ''}`,
    );
  if (activation === 'gelu') return gelu(linear(x, w, bias, 'none'));
  const rows = x.size / Math.max(inF, 1);
  const x2 = reshape(x, [rows, inF]);
  const y = wrap(
    be.matmul(x2.storage, w.storage, {
      batch: 1,
      m: rows,
      k: inF,
      n: outF,
      transA: false,
      transB: true,
      aBatchStride: 0,
      bBatchStride: 0,
      ...(bias ? { bias: bias.storage } : {}),
      activation,
    }),
    [rows, outF],
  );
  const inputs = bias ? [x2, w, bias] : [x2, w];
  const out = record(op, inputs, y, (g) => {
    // relu: y = relu(z) is never negative and never −0, so y ≠ 0 exactly where z > 0: one `where` pass over
    // (y, g) instead of a comparison pass, a temporary and a product pass (the [B, experts·out] activations of
    // an expert bank are the biggest tensors of an MMoE step). A NaN y passes g through.
    const gz =
      activation === 'relu'
        ? where(y, g, 0)
        : activation === 'sigmoid'
          ? mul(g, mul(y, sub(1, y)))
          : activation === 'tanh'
            ? mul(g, sub(1, mul(y, y)))
            : g;
    const gz3 = reshape(gz, [1, rows, outF]);
    const gx = x2.requiresGrad ? reshape(bmm(gz3, reshape(w, [1, outF, inF]), false, false), [rows, inF]) : null;
    const gw = w.requiresGrad ? reshape(bmm(gz3, reshape(x2, [1, rows, inF]), true, false), [outF, inF]) : null;
    const gb = bias?.requiresGrad ? sum(gz, 0) : null;
    return bias ? [gx, gw, gb] : [gx, gw];
  });
  return reshape(out, [...x.shape.slice(0, -1), outF]);
});
