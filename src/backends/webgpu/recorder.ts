/// <reference types="@webgpu/types" />
/**
 * Records work instead of running it: every op appends a dispatch (or a copy/clear) to one open command encoder,
 * submitted at sync points — a read, an explicit flush, or once the encoder holds MAX_DISPATCHES dispatches, so
 * a long graph streams to the GPU instead of piling up. One submission per batch keeps the driver overhead (and,
 * under Dawn for Node, the awaits that spin the main thread) out of the hot loop.
 *
 * Uniforms: each dispatch gets a 256-byte slot in a CPU-side arena; the arena is uploaded with one writeBuffer
 * right before the submit, so a batch of N dispatches costs one upload instead of N buffer creations.
 */
import { BufferPool, USAGE_UNIFORM } from './buffer-pool.js';
import type { ErrorChecks } from './error-checks.js';
import { PARAM_WORDS, type Bindings } from './params.js';
import type { CapturedCommand, PreparedCommands, PreparedCopy } from './prepared.js';

const SLOT_BYTES = PARAM_WORDS * 4;
const MAX_DISPATCHES = 256;

export class Recorder {
  /** Serial of the encoder being recorded; serials up to `submittedSerial` are on the queue. */
  serial = 1;
  submittedSerial = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private readonly arena = new Uint32Array(MAX_DISPATCHES * PARAM_WORDS);
  private arenaBuffer: { buffer: GPUBuffer; bucket: number } | null = null;
  private readonly uniformPool: BufferPool;
  /** Pool buckets round sizes up, possibly past this limit; bindings are clamped to it (the data fits, see alloc). */
  private readonly maxBinding: number;
  /** While a program is captured (prepared.ts): commands go here instead of into the encoder. */
  private captured: CapturedCommand[] | null = null;
  /** While capturing: how a clear is recorded as a dispatch, so that it does not split the compute pass. */
  private clearAsDispatch: ((buffer: GPUBuffer, bytes: number) => void) | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly checks: ErrorChecks,
    private readonly storagePool: BufferPool,
  ) {
    this.uniformPool = new BufferPool(device, USAGE_UNIFORM, 8 * MAX_DISPATCHES * SLOT_BYTES);
    this.maxBinding = device.limits.maxStorageBufferBindingSize;
  }

  private open(): GPUCommandEncoder {
    if (!this.encoder) {
      this.encoder = this.device.createCommandEncoder({ label: `mtgrad batch ${this.serial}` });
      this.arenaBuffer = null;
    }
    return this.encoder;
  }

  private endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /**
   * Records one dispatch. bindings[i] goes to @binding(i) (holes are skipped: a kernel variant may not use every
   * binding); @binding(0) is always the uniform parameter slot filled from `params`.
   */
  dispatch(
    label: string,
    pipeline: GPUComputePipeline,
    bindings: Bindings,
    params: Uint32Array,
    groups: readonly [number, number, number],
  ): void {
    this.checks.throwIfFailed();
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return;
    if (this.captured) {
      const words = new Uint32Array(PARAM_WORDS);
      words.set(params.subarray(0, Math.min(params.length, PARAM_WORDS)));
      this.captured.push({ kind: 'dispatch', label, pipeline, bindings: bindings.slice(), params: words, groups });
      return;
    }
    if (this.checks.debug) this.checks.begin();
    const encoder = this.open();
    if (!this.arenaBuffer) this.arenaBuffer = this.uniformPool.acquire(MAX_DISPATCHES * SLOT_BYTES, true);
    const slot = this.dispatches++;
    this.arena.set(params.subarray(0, Math.min(params.length, PARAM_WORDS)), slot * PARAM_WORDS);
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: this.arenaBuffer.buffer, offset: slot * SLOT_BYTES, size: SLOT_BYTES } },
    ];
    for (let i = 1; i < bindings.length; i++) {
      const buffer = bindings[i];
      if (buffer) entries.push({ binding: i, resource: { buffer, size: Math.min(buffer.size, this.maxBinding) } });
    }
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries, label });
    if (!this.pass) this.pass = encoder.beginComputePass({ label });
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    if (this.checks.debug) {
      this.submit();
      this.checks.end(`kernel ${label}`);
    } else if (this.dispatches >= MAX_DISPATCHES) {
      this.submit();
    }
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.checks.throwIfFailed();
    if (bytes === 0) return;
    if (this.captured) {
      this.captured.push({ kind: 'copy', src, srcOffset, dst, dstOffset, bytes });
      return;
    }
    this.endPass();
    this.open().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  clear(buffer: GPUBuffer, bytes: number): void {
    this.checks.throwIfFailed();
    if (bytes === 0) return;
    if (this.captured) {
      if (this.clearAsDispatch) this.clearAsDispatch(buffer, bytes);
      else this.captured.push({ kind: 'clear', buffer, bytes });
      return;
    }
    this.endPass();
    this.open().clearBuffer(buffer, 0, bytes);
  }

  /**
   * From now until endCapture, dispatches, copies and clears are appended to `into` instead of encoded; clears
   * through `clearAsDispatch` when given (a fill kernel: a clear would end the compute pass).
   */
  beginCapture(into: CapturedCommand[], clearAsDispatch?: (buffer: GPUBuffer, bytes: number) => void): void {
    if (this.captured) throw new Error('webgpu: a capture is already open');
    this.captured = into;
    this.clearAsDispatch = clearAsDispatch ?? null;
  }

  endCapture(): void {
    this.captured = null;
    this.clearAsDispatch = null;
  }

  /**
   * Encodes a prepared program after whatever is recorded: the `before` copies (inputs into their slots), every
   * prepared dispatch in one compute pass (a prepared copy or clear ends it), the `after` copies (outputs out), and
   * submits it all at once.
   */
  encodePrepared(program: PreparedCommands, before: readonly PreparedCopy[], after: readonly PreparedCopy[]): void {
    this.checks.throwIfFailed();
    if (this.captured) throw new Error('webgpu: a prepared program cannot run while a capture is open');
    const encoder = this.open();
    this.endPass();
    for (const c of before) if (c.bytes) encoder.copyBufferToBuffer(c.src, 0, c.dst, 0, c.bytes);
    program.flushParams();
    let pass: GPUComputePassEncoder | null = null;
    for (const step of program.steps) {
      if (step.kind === 'dispatch') {
        pass ??= encoder.beginComputePass({ label: 'prepared program' });
        pass.setPipeline(step.pipeline);
        pass.setBindGroup(0, step.bindGroup);
        pass.dispatchWorkgroups(step.groups[0], step.groups[1], step.groups[2]);
        continue;
      }
      if (pass) {
        pass.end();
        pass = null;
      }
      if (step.kind === 'copy')
        encoder.copyBufferToBuffer(step.src, step.srcOffset, step.dst, step.dstOffset, step.bytes);
      else encoder.clearBuffer(step.buffer, 0, step.bytes);
    }
    pass?.end();
    for (const c of after) if (c.bytes) encoder.copyBufferToBuffer(c.src, 0, c.dst, 0, c.bytes);
    this.submit();
  }

  /** Whether anything is recorded and not yet submitted. */
  get pending(): boolean {
    return this.encoder !== null;
  }

  submit(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.arenaBuffer) {
      this.device.queue.writeBuffer(this.arenaBuffer.buffer, 0, this.arena, 0, this.dispatches * PARAM_WORDS);
      this.uniformPool.release(this.arenaBuffer.buffer, this.arenaBuffer.bucket);
      this.arenaBuffer = null;
    }
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.dispatches = 0;
    this.submittedSerial = this.serial++;
    this.storagePool.submitted();
    this.uniformPool.submitted();
  }

  destroy(): void {
    this.encoder = null;
    this.pass = null;
    this.uniformPool.destroy();
  }
}
