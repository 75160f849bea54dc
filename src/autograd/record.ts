/** Recording an op on the tape: the op's output remembers its inputs and how to map gradients back. */
import { Tensor } from '../tensor/tensor.js';
import { engine } from '../tensor/engine.js';

export type BackwardFn = (g: Tensor) => (Tensor | null)[];
export type MultiBackwardFn = (gs: readonly (Tensor | null)[]) => (Tensor | null)[];

/**
 * Attaches `backward` to `out` when recording is on and some input requires grad. The backward function returns
 * one gradient per input (null where none flows), of that input's shape or of a shape it broadcasts to (the tape
 * sums such a gradient down to the input's shape); it runs with recording off.
 */
export function record(
  op: string,
  inputs: readonly Tensor[],
  out: Tensor,
  backward: BackwardFn,
  saved?: readonly Tensor[],
): Tensor {
  recordMulti(op, inputs, [out], (gs) => backward(gs[0]!), saved);
  return out;
}

/**
 * A multi-output op (split): every output shares one node, whose backward runs ONCE with all the outputs'
 * gradients (null for outputs no gradient reached), after the last of them has been computed. So split's backward
 * is one concat instead of a zero-filled full-size gradient per piece summed piece by piece.
 *
 * The node grips its inputs and `saved` (other tensors its backward reads, e.g. where's condition): they stay
 * allocated, even when disposed (by the caller or an op's scope), until backward consumes the node or its outputs are
 * freed. The backward may also read its own outputs.
 */
export function recordMulti(
  op: string,
  inputs: readonly Tensor[],
  outs: readonly Tensor[],
  backward: MultiBackwardFn,
  saved?: readonly Tensor[],
): readonly Tensor[] {
  if (!engine.gradEnabled || !inputs.some((t) => t.requiresGrad)) return outs;
  const differentiable = outs.filter((o) => o.dtype !== 'int32'); // integer outputs (argmax, comparisons on ints) are not
  if (differentiable.length === 0) return outs;
  const grip = engine.grip(saved ? [...inputs, ...saved] : inputs, differentiable.length);
  const node = { op, inputs, inputVersions: inputs.map((t) => t.version), outputs: outs, grip, backward };
  for (const o of differentiable) {
    o.requiresGrad = true;
    o.node = node;
    o.cell.grip = grip;
  }
  return outs;
}

/** A new tensor sharing x's storage, cut from the tape: same values, no gradient flows through it. */
export function stopGradient(x: Tensor): Tensor {
  x.assertLive('stopGradient');
  return new Tensor(x.storage, x.shape, x.dtype).shareVersionWith(x);
}
