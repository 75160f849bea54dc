/// <reference types="@webgpu/types" />
/**
 * Prepared command lists: the WebGPU side of a captured program (src/compile/webgpu-plan.ts lowers it).
 *
 * Capture: while a CaptureSession is open on the core, kernels run as usual, but the recorder appends their
 * dispatches, copies and clears to the session instead of encoding them, and allocations come from the session:
 * buffers it owns for the program's life, reused by lifetime (a buffer released during the capture is handed to a
 * later allocation of its size — commands run in order, so that is as safe as the pool's reuse within an encoder),
 * except buffers filled by queue writes (uploaded constants), which stay pinned.
 *
 * Preparing: every dispatch gets a fixed 256-byte uniform slot in one buffer and a bind group built once over those
 * fixed buffers; a replay (Recorder.encodePrepared) only sets pipelines and bind groups and dispatches, all in one
 * compute pass (a copy or clear in the middle ends the pass), and submits once.
 */
import { bucketBytes, type BufferPool, USAGE_UNIFORM } from './buffer-pool.js';
import { PARAM_WORDS, type Bindings } from './params.js';
import { GpuStorage } from './storage.js';
import type { DType } from '../kernels.js';

const SLOT_BYTES = PARAM_WORDS * 4;

export type CapturedCommand =
  | {
      readonly kind: 'dispatch';
      readonly label: string;
      readonly pipeline: GPUComputePipeline;
      readonly bindings: Bindings;
      /** PARAM_WORDS words (a copy). */
      readonly params: Uint32Array;
      readonly groups: readonly [number, number, number];
    }
  | {
      readonly kind: 'copy';
      readonly src: GPUBuffer;
      readonly srcOffset: number;
      readonly dst: GPUBuffer;
      readonly dstOffset: number;
      readonly bytes: number;
    }
  | { readonly kind: 'clear'; readonly buffer: GPUBuffer; readonly bytes: number };

/**
 * Where allocations go while a program is captured. A session in replay mode (`script` given) hands out, in order,
 * the buffers an earlier capture of the same kernel call allocated: re-running one kernel (to recompute uniforms
 * that change per call) then binds exactly what the prepared commands bind.
 */
export class CaptureSession {
  readonly commands: CapturedCommand[] = [];
  /** Every allocation, in order (storages that stay valid after the kernel released its own). */
  readonly allocations: GpuStorage[] = [];
  /** Buffers taken from the pool for the program: returned by releaseAll. */
  private readonly owned: { buffer: GPUBuffer; bucket: number }[] = [];
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly pinned = new Set<GPUBuffer>();
  private next = 0;

  constructor(
    private readonly pool: BufferPool,
    private readonly script: readonly GpuStorage[] | null = null,
  ) {}

  get ownedBytes(): number {
    return this.owned.reduce((n, o) => n + o.bucket, 0);
  }

  alloc(dtype: DType, size: number, forQueueWrite: boolean): GpuStorage {
    if (this.script) {
      const s = this.script[this.next++];
      if (!s || s.dtype !== dtype || s.size !== size)
        throw new Error(
          `webgpu: a re-run kernel allocated ${dtype}[${size}] where its capture allocated ${s ? `${s.dtype}[${s.size}]` : 'nothing'}`,
        );
      return new GpuStorage(dtype, size, s.buffer, s.bucket);
    }
    const bucket = bucketBytes(size * 4);
    let buffer = forQueueWrite ? undefined : this.free.get(bucket)?.pop();
    if (!buffer) {
      const got = this.pool.acquire(size * 4, forQueueWrite);
      this.owned.push(got);
      buffer = got.buffer;
    }
    if (forQueueWrite) this.pinned.add(buffer);
    this.allocations.push(new GpuStorage(dtype, size, buffer, bucket));
    return new GpuStorage(dtype, size, buffer, bucket);
  }

  release(s: GpuStorage): void {
    const buffer = s.buffer;
    s.buffer = null;
    if (this.script || !buffer || this.pinned.has(buffer)) return;
    let list = this.free.get(s.bucket);
    if (!list) {
      list = [];
      this.free.set(s.bucket, list);
    }
    list.push(buffer);
  }

  /** Gives the program's buffers back to the pool (at the program's end, or when its capture failed). */
  releaseAll(): void {
    for (const o of this.owned) this.pool.release(o.buffer, o.bucket);
    this.owned.length = 0;
    this.free.clear();
    this.pinned.clear();
  }
}

type PreparedStep =
  | {
      readonly kind: 'dispatch';
      readonly pipeline: GPUComputePipeline;
      readonly bindGroup: GPUBindGroup;
      groups: readonly [number, number, number];
    }
  | Exclude<CapturedCommand, { kind: 'dispatch' }>;

/** A captured command list with its uniform slots and bind groups built once. */
export class PreparedCommands {
  readonly steps: readonly PreparedStep[];
  /** Dispatch slot of each captured command (-1 for copies and clears). */
  readonly slotOf: Int32Array;
  readonly dispatches: number;
  /** Compute passes a replay encodes (a copy or clear between dispatches ends one). */
  readonly passes: number;
  private readonly words: Uint32Array<ArrayBuffer>;
  private readonly uniform: GPUBuffer;
  private dirty = false;

  constructor(
    private readonly device: GPUDevice,
    commands: readonly CapturedCommand[],
  ) {
    const maxBinding = device.limits.maxStorageBufferBindingSize;
    const count = commands.filter((c) => c.kind === 'dispatch').length;
    this.dispatches = count;
    this.words = new Uint32Array(Math.max(1, count) * PARAM_WORDS);
    this.uniform = device.createBuffer({
      size: Math.max(1, count) * SLOT_BYTES,
      usage: USAGE_UNIFORM,
      label: 'prepared uniforms',
    });
    this.slotOf = new Int32Array(commands.length).fill(-1);
    let slot = 0;
    let passes = 0;
    let inPass = false;
    this.steps = commands.map((c, i) => {
      if (c.kind !== 'dispatch') {
        inPass = false;
        return c;
      }
      if (!inPass) passes++;
      inPass = true;
      this.slotOf[i] = slot;
      this.words.set(c.params, slot * PARAM_WORDS);
      const entries: GPUBindGroupEntry[] = [
        { binding: 0, resource: { buffer: this.uniform, offset: slot * SLOT_BYTES, size: SLOT_BYTES } },
      ];
      for (let b = 1; b < c.bindings.length; b++) {
        const buffer = c.bindings[b];
        if (buffer) entries.push({ binding: b, resource: { buffer, size: Math.min(buffer.size, maxBinding) } });
      }
      slot++;
      const bindGroup = device.createBindGroup({ layout: c.pipeline.getBindGroupLayout(0), entries, label: c.label });
      return { kind: 'dispatch', pipeline: c.pipeline, bindGroup, groups: c.groups };
    });
    this.passes = passes;
    device.queue.writeBuffer(this.uniform, 0, this.words);
  }

  get uniformBytes(): number {
    return this.uniform.size;
  }

  /**
   * Replaces what a re-run of captured command `index` computed for this call: its uniform words (uploaded by the
   * next replay) and workgroup counts. Its pipeline must be the captured one (the bind group is built for it).
   */
  update(index: number, c: CapturedCommand): void {
    const step = this.steps[index];
    if (step?.kind !== 'dispatch' || c.kind !== 'dispatch' || c.pipeline !== step.pipeline)
      throw new Error(
        `webgpu: a re-run kernel recorded ${c.kind === 'dispatch' ? c.label : c.kind} where its capture recorded another command (#${index})`,
      );
    this.words.set(c.params, this.slotOf[index]! * PARAM_WORDS);
    step.groups = c.groups;
    this.dirty = true;
  }

  /** Uploads changed uniform words (before the replay's submit; the previous replay was submitted before). */
  flushParams(): void {
    if (!this.dirty) return;
    this.device.queue.writeBuffer(this.uniform, 0, this.words);
    this.dirty = false;
  }

  destroy(): void {
    this.uniform.destroy();
  }
}

/** A buffer-to-buffer copy a replay encodes around the prepared commands (inputs in, outputs out). */
export interface PreparedCopy {
  readonly src: GPUBuffer;
  readonly dst: GPUBuffer;
  readonly bytes: number;
}
