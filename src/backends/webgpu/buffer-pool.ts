/// <reference types="@webgpu/types" />
/**
 * Recycles GPU buffers. Creating and destroying buffers is slow and fragments memory, and training loops allocate
 * the same sizes every step, so released buffers go back to a pool bucketed by size and are handed out again.
 *
 * When is reuse safe? Commands run in order — the dispatches of an encoder in recording order, submissions in
 * queue order — and Dawn inserts the barriers between dispatches, so a buffer released while the open encoder
 * still reads it may at once become the *output* of a later recorded command (the write lands after the read).
 * What is not safe is `queue.writeBuffer` (uploads) into it: a queue write takes effect before the open encoder
 * is submitted, i.e. before that read. So buffers released since the last submit are `recent`: kernel outputs
 * may take them, uploads only take buffers from `free`, whose last use has been submitted. (Completion does not
 * matter, which saves an onSubmittedWorkDone promise per submit.) Reusing within an encoder also keeps memory
 * flat while a long graph is recorded.
 */

export const USAGE_STORAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST
export const USAGE_UNIFORM = 0x40 | 0x08; // UNIFORM | COPY_DST

const MIN_BUCKET = 16;

/** Power-of-two buckets up to 4 KiB, then quarter steps (2^k·{1, 1.25, 1.5, 1.75}): at most 25% slack. */
export function bucketBytes(bytes: number): number {
  const n = Math.max(bytes, MIN_BUCKET);
  let p = 1;
  while (p < n) p *= 2;
  if (p <= 4096) return p;
  const quarter = p / 8; // p/2 is the previous power; its quarter steps are p/8 apart
  for (let step = p / 2; step <= p; step += quarter) if (step >= n) return step;
  return p;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  /** Released since the last submit: reusable as kernel outputs, not for uploads. */
  private readonly recent = new Map<number, GPUBuffer[]>();
  liveBuffers = 0;
  liveBytes = 0;
  pooledBuffers = 0;
  pooledBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: number,
    /** Released buffers beyond this many pooled bytes are destroyed instead of kept. */
    private readonly maxPooledBytes: number,
  ) {}

  /** `forQueueWrite`: the buffer will be filled with queue.writeBuffer, so it must not be a `recent` one. */
  acquire(bytes: number, forQueueWrite: boolean): { buffer: GPUBuffer; bucket: number } {
    const bucket = bucketBytes(bytes);
    let buffer = this.free.get(bucket)?.pop();
    if (!buffer && !forQueueWrite) buffer = this.recent.get(bucket)?.pop();
    if (buffer) {
      this.pooledBuffers--;
      this.pooledBytes -= bucket;
    } else {
      buffer = this.device.createBuffer({ size: bucket, usage: this.usage });
    }
    this.liveBuffers++;
    this.liveBytes += bucket;
    return { buffer, bucket };
  }

  release(buffer: GPUBuffer, bucket: number): void {
    this.liveBuffers--;
    this.liveBytes -= bucket;
    let list = this.recent.get(bucket);
    if (!list) {
      list = [];
      this.recent.set(bucket, list);
    }
    list.push(buffer);
    this.pooledBuffers++;
    this.pooledBytes += bucket;
  }

  /** The open encoder was submitted: recent buffers become free (or are destroyed beyond the pool's cap). */
  submitted(): void {
    for (const [bucket, buffers] of this.recent) {
      for (const buffer of buffers) {
        if (this.pooledBytes > this.maxPooledBytes) {
          buffer.destroy();
          this.pooledBuffers--;
          this.pooledBytes -= bucket;
          continue;
        }
        let list = this.free.get(bucket);
        if (!list) {
          list = [];
          this.free.set(bucket, list);
        }
        list.push(buffer);
      }
    }
    this.recent.clear();
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    for (const list of this.recent.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.recent.clear();
    this.pooledBuffers = 0;
    this.pooledBytes = 0;
  }
}
