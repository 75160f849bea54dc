/**
 * The checkpoint's tensors as the ONNX graph's initializers, read by their state-dict names. Every read is
 * recorded: after lowering, a weight the lowering never read means the lowering does not mirror the model (a
 * layer it does not know about), and the export fails instead of writing a graph that computes something else.
 */
import type { GraphBuilder } from '../../io/onnx/graph-builder.js';

/** A tensor as stored in a checkpoint (safetensors: dtype F32 / F64 / I32, row-major data). */
export interface StoredTensor {
  dtype: string;
  shape: readonly number[];
  data: ArrayLike<number | bigint>;
}

interface FloatTensor {
  shape: readonly number[];
  data: Float32Array | Float64Array;
}

/** State-dict entries that are bookkeeping, not part of the function the model computes. */
const NOT_COMPUTED = /(^|\.)num_batches_tracked$/;

export class WeightReader {
  private readonly used = new Set<string>();
  /** Initializers already made, by initializer name (a weight read twice is stored once). */
  private readonly made = new Map<string, { value: string; shape: number[] }>();

  constructor(
    private readonly tensors: Readonly<Record<string, StoredTensor>>,
    private readonly g: GraphBuilder,
    private readonly where: string,
  ) {}

  has(name: string): boolean {
    return name in this.tensors;
  }

  private get(name: string): FloatTensor {
    const t = this.tensors[name];
    if (!t) {
      const near = Object.keys(this.tensors)
        .filter((k) => k.startsWith(name.split('.')[0]!))
        .slice(0, 8);
      throw new Error(
        `${this.where}: the checkpoint has no weight '${name}'${near.length ? ` (it has ${near.join(', ')}${near.length === 8 ? ', …' : ''})` : ''}`,
      );
    }
    const data = t.data;
    if (!(data instanceof Float32Array || data instanceof Float64Array))
      throw new Error(`${this.where}: weight '${name}' is ${t.dtype}, expected a float tensor (F32 or F64)`);
    this.used.add(name);
    return { shape: t.shape, data };
  }

  shape(name: string): number[] {
    return [...this.get(name).shape];
  }

  /** The weight as a float32 initializer under its own name (F64 checkpoints are exported in float32). */
  float(name: string, rank?: number): { value: string; shape: number[] } {
    const t = this.get(name);
    if (rank !== undefined && t.shape.length !== rank)
      throw new Error(`${this.where}: weight '${name}' has shape [${t.shape.join(', ')}], expected rank ${rank}`);
    return this.once(name, () => ({
      value: this.g.initializer(name, 'float32', t.shape, Float32Array.from(t.data)),
      shape: [...t.shape],
    }));
  }

  private once(key: string, make: () => { value: string; shape: number[] }): { value: string; shape: number[] } {
    let m = this.made.get(key);
    if (!m) this.made.set(key, (m = make()));
    return m;
  }

  /** [..., m, n] → [..., n, m] (for MatMul against x Wᵀ), as an initializer named `${name}^T`. */
  transposed(name: string): { value: string; shape: number[] } {
    const t = this.get(name);
    const known = this.made.get(`${name}^T`);
    if (known) return known;
    const s = t.shape;
    if (s.length < 2)
      throw new Error(
        `${this.where}: weight '${name}' has shape [${s.join(', ')}], expected at least 2 axes to transpose`,
      );
    const m = s[s.length - 2]!,
      n = s[s.length - 1]!,
      batch = t.data.length / (m * n);
    const out = new Float32Array(t.data.length);
    for (let b = 0; b < batch; b++)
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) out[b * m * n + j * m + i] = t.data[b * m * n + i * n + j]!;
    const shape = [...s.slice(0, -2), n, m];
    return this.once(`${name}^T`, () => ({ value: this.g.initializer(`${name}^T`, 'float32', shape, out), shape }));
  }

  /** The weight's values under new dims with the same element count, as an initializer named `${name}` + suffix. */
  reshaped(name: string, dims: readonly number[], suffix = ''): string {
    const t = this.get(name);
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== t.data.length)
      throw new Error(
        `${this.where}: weight '${name}' [${t.shape.join(', ')}] cannot be viewed as [${dims.join(', ')}]`,
      );
    return this.once(`${name}${suffix}`, () => ({
      value: this.g.initializer(`${name}${suffix}`, 'float32', dims, Float32Array.from(t.data)),
      shape: [...dims],
    })).value;
  }

  /** Throws when the checkpoint holds weights the lowering did not read. */
  checkAllRead(): void {
    const unread = Object.keys(this.tensors).filter((k) => !this.used.has(k) && !NOT_COMPUTED.test(k));
    if (unread.length) {
      throw new Error(
        `${this.where}: the ONNX lowering does not use ${unread.length} weight${unread.length > 1 ? 's' : ''} of the checkpoint (${unread.slice(0, 6).join(', ')}${unread.length > 6 ? ', …' : ''}): the model has layers the exporter does not know`,
      );
    }
  }
}
