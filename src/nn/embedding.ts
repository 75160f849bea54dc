/**
 * Embedding(num, dim): a [num, dim] table looked up by int32 ids of any shape (output [...ids.shape, dim]).
 * Init N(0, 1) as torch.nn.Embedding. Gradients reach only the looked-up rows (gather's adjoint scatter-adds), and
 * with `sparse` (the default) the ids of every recorded lookup are noted so that optimizers update, decay and
 * advance the state of those rows only (see sparse-rows.ts). The ids come from `hostIds` when given, else they
 * are read back; on a backend without synchronous readback and without hostIds the table updates densely.
 */
import type { Tensor } from '../tensor/tensor.js';
import { engine } from '../tensor/engine.js';
import { fmt } from '../tensor/shape.js';
import { isGradEnabled } from '../autograd/mode.js';
import { gather } from '../ops/shape.js';
import { Module, type TensorModule } from './module.js';
import { createParameter, type TensorPlacement } from './parameter.js';
import { normal } from './init.js';
import { markLazyRows, recordAllRows, recordTouchedRows } from './sparse-rows.js';

export interface EmbeddingOptions extends TensorPlacement {
  /** Lazy row updates by the optimizer (default true). */
  sparse?: boolean;
  /** Standard deviation of the N(0, std²) init (default 1, like PyTorch). */
  initStd?: number;
}

export class Embedding extends Module implements TensorModule {
  readonly weight: Tensor;
  readonly sparse: boolean;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: EmbeddingOptions = {},
  ) {
    super();
    for (const [what, n] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      if (!Number.isInteger(n) || n < 1) throw new Error(`Embedding: ${what} must be a positive integer, got ${n}`);
    }
    this.weight = this.registerParameter(
      'weight',
      createParameter(() =>
        normal([numEmbeddings, embeddingDim], 0, opts.initStd ?? 1, { dtype: opts.dtype, backend: opts.backend }),
      ),
    );
    this.sparse = opts.sparse ?? true;
    if (this.sparse) markLazyRows(this.weight);
  }

  /**
   * `hostIds`, when the caller has the ids on the host already (the data loader's Int32Array), spares reading
   * them back and enables lazy updates on backends without synchronous readback (WebGPU).
   */
  forward(ids: Tensor, hostIds?: ArrayLike<number>): Tensor {
    const what = `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
    if (ids.dtype !== 'int32') throw new Error(`${what}: ids must be int32, got ${fmt(ids.shape)} ${ids.dtype}`);
    if (hostIds && hostIds.length !== ids.size)
      throw new Error(`${what}: hostIds has ${hostIds.length} values for ids of shape ${fmt(ids.shape)}`);
    const out = gather(this.weight, ids, 0);
    if (this.sparse && isGradEnabled() && this.weight.requiresGrad) this.recordRows(ids, hostIds);
    return out;
  }

  private recordRows(ids: Tensor, hostIds?: ArrayLike<number>): void {
    if (hostIds) {
      for (let i = 0; i < hostIds.length; i++) {
        const r = hostIds[i];
        if (!Number.isInteger(r) || r < 0 || r >= this.numEmbeddings) {
          throw new Error(
            `Embedding(${this.numEmbeddings}, ${this.embeddingDim}): hostIds[${i}] = ${r} is outside [0, ${this.numEmbeddings})`,
          );
        }
      }
      recordTouchedRows(this.weight, hostIds);
    } else if (engine.backendOf(ids.storage).info().syncReadback) {
      recordTouchedRows(this.weight, ids.dataSync());
    } else {
      recordAllRows(this.weight);
    }
  }
}
