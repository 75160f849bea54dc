/** Typed arrays that grow by doubling while a file of unknown length is read into memory. */

type TypedArrayConstructor<T> = { new (length: number): T };

export class GrowableArray<T extends Int32Array | Float32Array | Float64Array> {
  private data: T;
  length = 0;

  constructor(
    private readonly create: TypedArrayConstructor<T>,
    initialCapacity = 1024,
  ) {
    this.data = new create(Math.max(initialCapacity, 1));
  }

  /** Makes room for `count` more values and returns the array to write them into (valid until the next call). */
  reserve(count: number): T {
    const needed = this.length + count;
    if (needed > this.data.length) {
      let capacity = this.data.length;
      while (capacity < needed) capacity *= 2;
      const grown = new this.create(capacity);
      grown.set(this.data.subarray(0, this.length) as never);
      this.data = grown;
    }
    return this.data;
  }

  push(value: number): void {
    this.reserve(1)[this.length++] = value;
  }

  /** The filled part, trimmed to its length (a copy, so the spare capacity is released). */
  toArray(): T {
    return this.data.slice(0, this.length) as T;
  }
}
