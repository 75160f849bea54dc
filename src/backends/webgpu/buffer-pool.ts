/// <reference types="@webgpu/types" />
/**
 * Recycles GPU buffers. Creating and destroying buffers is slow and fragments memory, and training loops allocate
 * the same sizes every step, so released buffers go back to a pool bucketed by size and are handed out again.
 *
 * When is reuse safe? The WebGPU queue executes submissions in order, so a buffer may be rewritten by anything
 * enqueued after the last submission that read it. What is not safe is reusing it while a command that reads it
 * is still only *recorded* in the open encoder: `queue.writeBuffer` (uploads, uniforms) takes effect before that
 * encoder is submitted. So a released buffer carries the serial of the encoder open at release time and becomes
 * reusable once that serial has been submitted (no need to wait for completion, which would cost a promise).
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

interface Released { buffer: GPUBuffer; bucket: number; serial: number }

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private pending: Released[] = [];
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

  acquire(bytes: number): { buffer: GPUBuffer; bucket: number } {
    const bucket = bucketBytes(bytes);
    const list = this.free.get(bucket);
    let buffer = list?.pop();
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

  /** `serial`: the encoder open now; the buffer is reusable once that encoder has been submitted. */
  release(buffer: GPUBuffer, bucket: number, serial: number): void {
    this.liveBuffers--;
    this.liveBytes -= bucket;
    this.pending.push({ buffer, bucket, serial });
    this.pooledBuffers++;
    this.pooledBytes += bucket;
  }

  /** Moves the buffers whose last encoder has been submitted to the free lists. */
  submitted(serial: number): void {
    if (this.pending.length === 0) return;
    const still: Released[] = [];
    for (const r of this.pending) {
      if (r.serial > serial) { still.push(r); continue; }
      if (this.pooledBytes > this.maxPooledBytes) {
        r.buffer.destroy();
        this.pooledBuffers--;
        this.pooledBytes -= r.bucket;
        continue;
      }
      let list = this.free.get(r.bucket);
      if (!list) { list = []; this.free.set(r.bucket, list); }
      list.push(r.buffer);
    }
    this.pending = still;
  }

  destroy(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    for (const r of this.pending) r.buffer.destroy();
    this.free.clear();
    this.pending = [];
    this.pooledBuffers = 0;
    this.pooledBytes = 0;
  }
}
