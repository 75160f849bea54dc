/** Builds the 64-word uniform parameter slot that every kernel reads (see kernels/common.wgsl). */
export const PARAM_WORDS = 64; // 256 bytes: the uniform slot (and the minimum uniform offset alignment)
/** A dispatch's storage buffers by binding index (undefined: the slot is unused). */
export type Bindings = (GPUBuffer | undefined)[];

export class Params {
  readonly words = new Uint32Array(PARAM_WORDS);
  private readonly floats = new Float32Array(this.words.buffer);
  private readonly ints = new Int32Array(this.words.buffer);
  private cursor = 0;

  /** Sets the cursor to word `index` (kernels address their parameters by word). */
  at(index: number): this {
    this.cursor = index;
    return this;
  }
  u(value: number): this {
    this.words[this.cursor++] = value >>> 0;
    return this;
  }
  i(value: number): this {
    this.ints[this.cursor++] = value | 0;
    return this;
  }
  f(value: number): this {
    this.floats[this.cursor++] = value;
    return this;
  }
  list(values: readonly number[]): this {
    for (const v of values) this.u(v);
    return this;
  }
}

/** Workgroup counts for `groups` linear workgroups: x up to 65535, the rest spills into y. */
export function grid(groups: number): [number, number, number] {
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}
