/** Recording an op on the tape: the op's output remembers its inputs and how to map gradients back. */
import { Tensor } from '../tensor/tensor.js';
import { engine } from '../tensor/engine.js';

export type BackwardFn = (g: Tensor) => (Tensor | null)[];

/**
 * Attaches `backward` to `out` when recording is on and some input requires grad. The backward function returns
 * one gradient per input, of that input's shape (null where none flows); it runs with recording off.
 */
export function record(op: string, inputs: readonly Tensor[], out: Tensor, backward: BackwardFn): Tensor {
  if (!engine.gradEnabled || !inputs.some((t) => t.requiresGrad)) return out;
  if (out.dtype === 'int32') return out; // integer outputs (argmax, comparisons on ints) are not differentiable
  out.requiresGrad = true;
  out.node = { op, inputs, inputVersions: inputs.map((t) => t.version), backward };
  return out;
}

/** A new tensor sharing x's storage, cut from the tape: same values, no gradient flows through it. */
export function stopGradient(x: Tensor): Tensor {
  x.assertLive('stopGradient');
  return new Tensor(x.storage, x.shape, x.dtype).shareVersionWith(x);
}
