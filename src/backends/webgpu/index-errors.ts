/// <reference types="@webgpu/types" />
/**
 * Out-of-range indices seen by a shader. A kernel cannot throw, so gather records the first bad index it meets in a
 * small buffer (its dispatch tag, the position, the index); every readback copies that buffer too and throws the
 * same error js and native throw at the op, naming the op and the index. Indices the host knows (uploads) are
 * checked at the op before any dispatch; this catches the ones computed on the GPU.
 */
import { USAGE_STORAGE } from './buffer-pool.js';

const MAP_READ = 0x0001 | 0x0008; // MAP_READ | COPY_DST
const RING = 4096;

export class IndexErrors {
  readonly buffer: GPUBuffer;
  /** What each recent tag was for (a ring: a loop that never reads back does not grow it). */
  private readonly ring: ({ op: string; n: number } | undefined)[] = new Array(RING);
  private nextTag = 1;

  constructor(private readonly device: GPUDevice) {
    this.buffer = device.createBuffer({ size: 16, usage: USAGE_STORAGE, label: 'index errors' });
  }

  /** A tag for one dispatch of `op` over an axis of size n. */
  tag(op: string, n: number): number {
    const t = this.nextTag;
    this.nextTag = this.nextTag >= 0x7fffffff ? 1 : this.nextTag + 1;
    this.ring[t % RING] = { op, n };
    return t;
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
    const tagged = this.ring[words[0]! % RING];
    this.device.queue.writeBuffer(this.buffer, 0, new Uint32Array(4));
    const index = words[2]! | 0;
    const what = tagged ?? { op: 'gather', n: NaN };
    throw new Error(`${what.op}: index ${index} (at position ${words[1]}) out of range [0, ${what.n})`);
  }
}
