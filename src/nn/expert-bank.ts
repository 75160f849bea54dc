/**
 * ExpertBank(numExperts, dims): E independent expert MLPs dims[0]→…→dims[n] evaluated together. Layer l holds the
 * weights of all experts stacked, `fc{l}.weight` [E, out, in] and `fc{l}.bias` [E, out] (expert e's slice is exactly
 * a torch.nn.Linear's weight/bias). `forward` returns [E, B, dims[n]]; `forwardExperts` returns the output in the
 * layout it was computed in ([B, E, out] for a one-layer bank, [E, B, out] otherwise), tagged for `gatedMixture`,
 * which takes either: the mixture then needs no transpose in either direction.
 *
 * Why stacked: MMoE/PLE evaluate many experts on the same input. Looping over E Linear modules launches E small
 * GEMMs and E epilogues per layer (and E more of each in the backward); stacking makes each layer one product:
 *  - the first layer (input [B, in], shared by every expert) is ONE GEMM of x against the [E·out, in] view of the
 *    stacked weight (a reshape, no copy) with bias and activation fused into its epilogue, then one transpose of
 *    the [B, E, out] result to [E, B, out]. This beats a broadcast batched matmul (x [B,in] against Wᵀ [E,in,out]):
 *    there the input gradient would be E products [B,in] summed over the expert axis, here it is one GEMM with
 *    K = E·out, and no weight transpose is copied in either direction. Its natural layout is [B, E, out];
 *  - deeper layers (input [E, B, in]: each expert its own activations) are one batched matmul
 *    [E,B,in] @ Wᵀ [E,in,out], then bias and activation.
 *
 * Initialisation: every expert slice gets PyTorch's nn.Linear default, weight and bias U(−1/√in, 1/√in), drawn
 * i.i.d. from the seeded stream (so experts start different, never constant: identical experts stay identical).
 */
import type { Tensor } from '../tensor/tensor.js';
import type { MixtureLayout } from '../backends/kernels.js';
import { fmt } from '../tensor/shape.js';
import { add, relu } from '../ops/elementwise.js';
import { linear, matmul } from '../ops/linalg.js';
import { permute, reshape, transpose } from '../ops/shape.js';
import { Module } from './module.js';
import { createParameter, type TensorPlacement } from './parameter.js';
import { uniform } from './init.js';
import { applyActivation, isFusedActivation, type Activation } from './activation.js';

export interface ExpertBankOptions extends TensorPlacement {
  /** Activation after every layer, the last included (default relu: an expert's output is a hidden representation,
   * as in the MMoE paper's ReLU experts). */
  activation?: Activation;
  /** Override for the last layer's activation (default: `activation`). */
  outputActivation?: Activation;
}

/** One layer of E experts: weight [E, out, in], bias [E, out]. */
export class StackedLinear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(
    readonly numExperts: number,
    readonly inFeatures: number,
    readonly outFeatures: number,
    readonly activation: Activation,
    place: TensorPlacement = {},
  ) {
    super();
    for (const [what, n] of [
      ['numExperts', numExperts],
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`StackedLinear: ${what} must be a positive integer, got ${n}`);
    }
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.registerParameter(
      'weight',
      createParameter(() => uniform([numExperts, outFeatures, inFeatures], -bound, bound, place)),
    );
    this.bias = this.registerParameter(
      'bias',
      createParameter(() => uniform([numExperts, outFeatures], -bound, bound, place)),
    );
  }

  /** x [B, in] (shared by all experts) or [E, B, in] (per expert) → [E, B, out]. */
  forward(x: Tensor): Tensor {
    return expertMajor(this.forwardExperts(x));
  }

  /**
   * x [B, in] → [B, E, out] (layout 'BED', the GEMM's own output); x [E, B, in] → [E, B, out] ('EBD'). With
   * `deferRelu`, a relu activation is left pending (`activation: 'relu'` on pre-activations) for gatedMixture to
   * fuse; otherwise it is applied here (in the GEMM's epilogue where it can be).
   */
  forwardExperts(x: Tensor, opts: { deferRelu?: boolean } = {}): ExpertOutputs {
    const E = this.numExperts,
      out = this.outFeatures;
    const pending = opts.deferRelu === true && this.activation === 'relu';
    const finish = (y: Tensor, layout: MixtureLayout): ExpertOutputs =>
      pending
        ? { tensor: y, layout, activation: 'relu' }
        : { tensor: applyActivation(y, this.activation), layout, activation: 'none' };
    if (x.ndim === 2 && x.shape[1] === this.inFeatures) {
      const B = x.shape[0];
      const fused = !pending && isFusedActivation(this.activation);
      const wide = linear(
        x,
        reshape(this.weight, [E * out, this.inFeatures]),
        reshape(this.bias, [E * out]),
        fused ? this.activation : 'none',
      );
      const y = reshape(wide, [B, E, out]);
      return fused ? { tensor: y, layout: 'BED', activation: 'none' } : finish(y, 'BED');
    }
    if (x.ndim === 3 && x.shape[0] === E && x.shape[2] === this.inFeatures) {
      return finish(add(matmul(x, transpose(this.weight, 1, 2)), reshape(this.bias, [E, 1, out])), 'EBD');
    }
    throw new Error(
      `StackedLinear(${E} × ${this.inFeatures}→${out}): input must be [B, ${this.inFeatures}] or [${E}, B, ${this.inFeatures}], got ${fmt(x.shape)}`,
    );
  }
}

/**
 * Experts' outputs: expert e's row b of activation(tensor), located by `layout` (see MixtureLayout). activation
 * 'relu' means the tensor holds pre-activations whose relu is still to be applied (gatedMixture fuses it).
 */
export interface ExpertOutputs {
  tensor: Tensor;
  layout: MixtureLayout;
  activation: 'none' | 'relu';
}

/** The outputs with any pending activation applied, in the same layout. */
export function materialize(x: ExpertOutputs): ExpertOutputs {
  return x.activation === 'none' ? x : { tensor: relu(x.tensor), layout: x.layout, activation: 'none' };
}

/** The same outputs in the expert-major layout [E, B, D] (a transpose only when batch-major); activation still pending. */
export function asExpertMajor(x: ExpertOutputs): ExpertOutputs {
  return x.layout === 'EBD' ? x : { tensor: permute(x.tensor, [1, 0, 2]), layout: 'EBD', activation: x.activation };
}

/** The outputs as an [E, B, D] tensor, activation applied. */
export function expertMajor(x: ExpertOutputs): Tensor {
  return materialize(asExpertMajor(x)).tensor;
}

export class ExpertBank extends Module {
  readonly layers: readonly StackedLinear[];

  constructor(
    readonly numExperts: number,
    readonly dims: readonly number[],
    opts: ExpertBankOptions = {},
  ) {
    super();
    if (!Number.isInteger(numExperts) || numExperts < 1)
      throw new Error(`ExpertBank: numExperts must be a positive integer, got ${numExperts}`);
    if (dims.length < 2)
      throw new Error(`ExpertBank: dims must list at least an input and an output size, got [${dims.join(', ')}]`);
    const place: TensorPlacement = { dtype: opts.dtype, backend: opts.backend };
    const act = opts.activation ?? 'relu';
    const layers: StackedLinear[] = [];
    for (let i = 1; i < dims.length; i++) {
      const last = i === dims.length - 1;
      layers.push(
        this.registerModule(
          `fc${i}`,
          new StackedLinear(numExperts, dims[i - 1], dims[i], last ? (opts.outputActivation ?? act) : act, place),
        ),
      );
    }
    this.layers = layers;
  }

  get inFeatures(): number {
    return this.dims[0];
  }
  get outFeatures(): number {
    return this.dims[this.dims.length - 1];
  }

  /** x [B, in] → every expert's output, [E, B, out]. */
  forward(x: Tensor): Tensor {
    return expertMajor(this.run(x, false));
  }

  /**
   * x [B, in] → every expert's output in the layout it was computed in (no transpose), the last layer's relu left
   * pending: what gatedMixture takes.
   */
  forwardExperts(x: Tensor): ExpertOutputs {
    return this.run(x, true);
  }

  private run(x: Tensor, deferLastRelu: boolean): ExpertOutputs {
    const last = this.layers.length - 1;
    let h: ExpertOutputs = this.layers[0]!.forwardExperts(x, { deferRelu: deferLastRelu && last === 0 });
    for (let i = 1; i <= last; i++)
      h = this.layers[i]!.forwardExperts(expertMajor(h), { deferRelu: deferLastRelu && i === last });
    return h;
  }
}
