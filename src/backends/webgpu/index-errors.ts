/// <reference types="@webgpu/types" />
/**
 * Bad inputs seen by a shader. A kernel cannot throw, so gather, scatterAdd, the lazy-row optimizers and int32
 * div/mod record the first bad value they meet in one small buffer (its dispatch tag, the position, the value), on
 * the error branch only; every readback copies that buffer too and throws the same error js and native throw at the
 * op, worded by the describer the tag was issued with.
 */
import { USAGE_STORAGE } from './buffer-pool.js';

const MAP_READ = 0x0001 | 0x0008; // MAP_READ | COPY_DST
const RING = 4096;

/** Words the error for the recorded value (an index, row or divisor) at a position. */
export type Describe = (value: number, position: number) => string;

export class IndexErrors {
  readonly buffer: GPUBuffer;
  /** How to word each recent tag's error (a ring: a loop that never reads back does not grow it). */
  private readonly ring: (Describe | undefined)[] = new Array(RING);
  private nextTag = 1;
  /**
   * Tags a prepared program (prepared.ts) bakes into its uniforms: it replays them long after the ring has moved
   * on, so their describers are kept here, by exact tag, until the program is freed.
   */
  private readonly pinned = new Map<number, Describe>();
  /** While a program is captured: the tags issued (pinned as they are issued). */
  private collecting: number[] | null = null;

  constructor(private readonly device: GPUDevice) {
    this.buffer = device.createBuffer({ size: 16, usage: USAGE_STORAGE, label: 'index errors' });
  }

  /** A tag for one dispatch of `op` (gather, scatterAdd) indexing an axis of size n: js/native's checkIndices words. */
  tag(op: string, n: number): number {
    return this.tagWith((index, at) => `${op}: index ${index} (at position ${at}) out of range [0, ${n})`);
  }

  /** A tag for one dispatch whose error, if the shader records one, is worded by `describe`. */
  tagWith(describe: Describe): number {
    const t = this.nextTag;
    this.nextTag = this.nextTag >= 0x7fffffff ? 1 : this.nextTag + 1;
    this.ring[t % RING] = describe;
    if (this.collecting) {
      this.collecting.push(t);
      this.pinned.set(t, describe);
    }
    return t;
  }

  /** Starts pinning every tag issued (a capture); `stopPinning` returns them. */
  startPinning(): void {
    this.collecting = [];
  }

  stopPinning(): number[] {
    const tags = this.collecting ?? [];
    this.collecting = null;
    return tags;
  }

  unpin(tags: readonly number[]): void {
    for (const t of tags) this.pinned.delete(t);
  }

  /** Records a copy of the flag into a fresh staging buffer (to map after the submit). */
  stage(encode: (src: GPUBuffer, dst: GPUBuffer) => void): GPUBuffer {
    const staging = this.device.createBuffer({ size: 16, usage: MAP_READ, label: 'index errors readback' });
    encode(this.buffer, staging);
    return staging;
  }

  /** Reads the staged flag (after the submit): throws the first out-of-range index, then clears the flag. */
  async check(staging: GPUBuffer): Promise<void> {
    let words: Uint32Array;
    try {
      await staging.mapAsync(1);
      words = new Uint32Array(staging.getMappedRange().slice(0));
      staging.unmap();
    } finally {
      staging.destroy();
    }
    if (words[0] === 0) return;
    const tagged = this.pinned.get(words[0]!) ?? this.ring[words[0]! % RING];
    this.device.queue.writeBuffer(this.buffer, 0, new Uint32Array(4));
    const value = words[2]! | 0;
    if (!tagged)
      throw new Error(`webgpu: a kernel reported bad input ${value} (at position ${words[1]}) too long ago to name`);
    throw new Error(tagged(value, words[1]!));
  }
}
