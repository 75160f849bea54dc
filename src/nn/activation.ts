/** Activations by name, as layers take them in their options. */
import type { Tensor } from '../tensor/tensor.js';
import { elu, gelu, leakyRelu, relu, sigmoid, tanh } from '../ops/elementwise.js';
import type { Activation as FusedActivation } from '../backends/kernels.js';

/** The fusable ones run inside the linear layer's GEMM epilogue; the others after it. */
export type Activation = FusedActivation | 'leakyRelu' | 'elu';

const FUSED: ReadonlySet<string> = new Set<FusedActivation>(['none', 'relu', 'sigmoid', 'tanh', 'gelu']);

export function isFusedActivation(a: Activation): a is FusedActivation {
  return FUSED.has(a);
}

export function applyActivation(x: Tensor, a: Activation): Tensor {
  switch (a) {
    case 'none':
      return x;
    case 'relu':
      return relu(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'tanh':
      return tanh(x);
    case 'gelu':
      return gelu(x);
    case 'leakyRelu':
      return leakyRelu(x);
    case 'elu':
      return elu(x);
    default:
      throw new Error(
        `activation: unknown '${String(a)}' (expected none, relu, sigmoid, tanh, gelu, leakyRelu or elu)`,
      );
  }
}
