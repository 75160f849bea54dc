/** The Tensor: a shape, a dtype and a backend storage, plus the autograd fields the tape fills in. */
import type { DType, Storage, TypedArray } from '../backends/kernels.js';
import { engine, type Grip, type TensorCell, type Tracked } from './engine.js';
import { fmt, sizeOf } from './shape.js';

export type NestedArray = number | NestedArray[];

/** A recorded operation: how to map its outputs' gradients to its inputs' gradients. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** The version of each input when it was saved; a mismatch at backward time means in-place modification. */
  readonly inputVersions: readonly number[];
  /** The op's outputs: one for most ops; the outputs of a multi-output op (split) all share one node. */
  readonly outputs: readonly Tensor[];
  /** The op's hold on the tensors its backward reads (inputs and saved tensors); released with the graph. */
  readonly grip: Grip | null;
  /**
   * Given one gradient per output (null where none flowed; never all null), returns one per input (null: no
   * gradient flows to that input). Set to null once released.
   */
  backward: ((gs: readonly (Tensor | null)[]) => (Tensor | null)[]) | null;
}

// biome-ignore lint/suspicious/noConfusingVoidType: a hook returns a replacement gradient or nothing at all
export type GradHook = (grad: Tensor) => Tensor | void;

export class Tensor implements Tracked {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly storage: Storage;
  /** Set by the tape on outputs of recorded ops; null for leaves. */
  node: GradNode | null = null;
  /** Accumulated by backward() on leaves that require grad. */
  grad: Tensor | null = null;
  /**
   * Shared by every tensor aliasing the same storage through stopGradient/reshape, so that an in-place update seen
   * through one alias invalidates graphs that saved another (as torch's views share one version counter).
   */
  private versionCounter: { value: number } | null = null; // made on first write or share (most tensors never)
  kept = false;
  /** Engine bookkeeping (see engine.ts): the collectable part, graph references, scope membership. */
  readonly cell: TensorCell;
  graphRefs = 0;
  scopeId = 0;
  mark = 0;
  private disposed = false;
  private _requiresGrad = false;
  private hooks: GradHook[] | null = null;

  constructor(storage: Storage, shape: readonly number[], dtype: DType = storage.dtype) {
    if (sizeOf(shape) !== storage.size) {
      throw new Error(
        `Tensor: shape ${fmt(shape)} holds ${sizeOf(shape)} elements but the storage holds ${storage.size}`,
      );
    }
    this.id = engine.newId();
    this.storage = storage;
    this.cell = { storage, freed: false, grip: null };
    // A frozen shape (another tensor's) cannot change under us: share it instead of copying.
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze([...shape]);
    this.dtype = dtype;
    engine.track(this);
  }

  /** Incremented by in-place updates (optimizers); checked by backward against saved versions. */
  get version(): number {
    return this.versionCounter?.value ?? 0;
  }
  set version(v: number) {
    this.counter().value = v;
  }

  private counter(): { value: number } {
    if (this.versionCounter === null) this.versionCounter = { value: 0 };
    return this.versionCounter;
  }

  /** Makes this tensor, an alias of src's storage, share src's version counter (chainable). */
  shareVersionWith(src: Tensor): this {
    if (src.storage !== this.storage)
      throw new Error('shareVersionWith: only tensors aliasing the same storage share a version counter');
    this.versionCounter = src.counter();
    return this;
  }

  get size(): number {
    return this.storage.size;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get backendName(): string {
    return this.storage.backend;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
  get isLeaf(): boolean {
    return this.node === null;
  }

  get requiresGrad(): boolean {
    return this._requiresGrad;
  }
  set requiresGrad(v: boolean) {
    if (v && this.dtype === 'int32')
      throw new Error(
        `Tensor ${fmt(this.shape)}: an int32 tensor cannot require grad (only float dtypes are differentiable)`,
      );
    if (!v && this.node)
      throw new Error('requiresGrad: cannot turn off requiresGrad on a non-leaf tensor; use detach()');
    this._requiresGrad = v;
  }

  /** Makes this tensor a leaf that requires grad (chainable). */
  requiresGrad_(v = true): this {
    this.requiresGrad = v;
    return this;
  }

  /** Registers fn to see (and optionally replace) the gradient flowing into this tensor. Returns a remover. */
  registerHook(fn: GradHook): () => void {
    if (!this._requiresGrad)
      throw new Error(
        `registerHook: tensor ${fmt(this.shape)} does not require grad, so no gradient will ever reach it`,
      );
    if (this.hooks === null) this.hooks = [];
    const hooks = this.hooks;
    hooks.push(fn);
    return () => {
      const i = hooks.indexOf(fn);
      if (i >= 0) hooks.splice(i, 1);
    };
  }

  get hasHooks(): boolean {
    return this.hooks !== null && this.hooks.length > 0;
  }

  /** Applies the hooks in registration order; used by the tape. */
  runHooks(g: Tensor): Tensor {
    let cur = g;
    for (const h of this.hooks ?? []) {
      const r = h(cur);
      if (r !== undefined) {
        if (
          !(r instanceof Tensor) ||
          r.shape.length !== cur.shape.length ||
          r.shape.some((d, i) => d !== cur.shape[i])
        ) {
          throw new Error(`gradient hook: must return a tensor of the gradient's shape ${fmt(cur.shape)} or nothing`);
        }
        cur = r;
      }
    }
    return cur;
  }

  /**
   * Throws when the tensor cannot be used: disposed (during a backward pass, a disposed tensor that the graph still
   * holds is usable: the op's backward reads what it saved).
   */
  assertLive(op: string): void {
    if (this.cell.freed || (this.disposed && !engine.inBackward))
      throw new Error(
        `${op}: tensor #${this.id} ${fmt(this.shape)} was disposed (by dispose() or at the end of a tidy)`,
      );
  }

  async data(): Promise<TypedArray> {
    this.assertLive('data');
    return engine.backendOf(this.storage).read(this.storage);
  }

  dataSync(): TypedArray {
    this.assertLive('dataSync');
    return engine.backendOf(this.storage).readSync(this.storage);
  }

  async array(): Promise<NestedArray> {
    return toNested(await this.data(), this.shape);
  }
  arraySync(): NestedArray {
    return toNested(this.dataSync(), this.shape);
  }

  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item: expected a tensor with one element, got shape ${fmt(this.shape)}`);
    return (await this.data())[0];
  }

  itemSync(): number {
    if (this.size !== 1) throw new Error(`item: expected a tensor with one element, got shape ${fmt(this.shape)}`);
    return this.dataSync()[0];
  }

  /**
   * Gives up this tensor: its storage reference goes when no recorded graph needs it any more (at once for a tensor
   * that no backward can reach), and with the last reference the storage itself.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
    engine.untrack(this);
  }

  toString(): string {
    return `Tensor(shape=${fmt(this.shape)}, dtype=${this.dtype}, backend=${this.backendName}${this._requiresGrad ? ', requiresGrad' : ''})`;
  }
}

export function toNested(data: ArrayLike<number>, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return data[0];
  let pos = 0;
  const build = (axis: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[axis]; i++) out.push(axis === shape.length - 1 ? data[pos++] : build(axis + 1));
    return out;
  };
  return build(0);
}
