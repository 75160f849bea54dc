/// <reference types="@webgpu/types" />
/**
 * What every op module needs: allocation from the pool, buffer lookup, and "run kernel X specialised so, on these
 * buffers, with these parameters" (recorded, not executed).
 */
import type { DType, Storage } from '../kernels.js';
import { BufferPool, USAGE_STORAGE } from './buffer-pool.js';
import { ErrorChecks } from './error-checks.js';
import type { TemplateValues } from './kernel-files.js';
import { Params, grid } from './params.js';
import { PipelineCache } from './pipelines.js';
import { Recorder } from './recorder.js';
import type { Bindings } from './params.js';
import { GpuStorage } from './storage.js';
import { IndexErrors } from './index-errors.js';
import type { CaptureSession } from './prepared.js';

export const WEBGPU_DTYPES: readonly DType[] = ['float32', 'int32'];

export function wgslType(dtype: DType): 'f32' | 'i32' {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32') return 'i32';
  throw new Error(`webgpu: dtype ${dtype} is not supported (WGSL has no 64-bit floats); use float32`);
}

/** Released buffers kept for reuse beyond this are destroyed. */
const MAX_POOLED_BYTES = 1024 * 1024 * 1024;

export class WebGpuCore {
  readonly pool: BufferPool;
  readonly checks: ErrorChecks;
  readonly recorder: Recorder;
  readonly pipelines: PipelineCache;
  readonly indexErrors: IndexErrors;
  /** Bound where a kernel variant declares a binding it does not use this time (one read-only, one writable). */
  readonly dummyRead: GPUBuffer;
  readonly dummyWrite: GPUBuffer;
  /** Open while a program is captured (prepared.ts): allocations and releases go to it. */
  private session: CaptureSession | null = null;

  constructor(
    readonly device: GPUDevice,
    debug: boolean,
    /** Software adapter: tune for CPU execution. */ readonly isSoftware = false,
  ) {
    this.checks = new ErrorChecks(device, debug);
    this.pool = new BufferPool(device, USAGE_STORAGE, MAX_POOLED_BYTES);
    this.recorder = new Recorder(device, this.checks, this.pool);
    this.pipelines = new PipelineCache(device, this.checks);
    this.indexErrors = new IndexErrors(device);
    this.dummyRead = device.createBuffer({ size: 16, usage: USAGE_STORAGE, label: 'dummy read' });
    this.dummyWrite = device.createBuffer({ size: 16, usage: USAGE_STORAGE, label: 'dummy write' });
  }

  /** `forQueueWrite`: for uploads (see BufferPool.acquire); kernel outputs leave it false. */
  alloc(dtype: DType, size: number, forQueueWrite = false): GpuStorage {
    wgslType(dtype);
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (size * 4 > limit) {
      throw new Error(
        `webgpu: a tensor of ${size} elements (${size * 4} bytes) exceeds this adapter's ` +
          `maxStorageBufferBindingSize (${limit} bytes)`,
      );
    }
    if (this.session) return this.session.alloc(dtype, size, forQueueWrite);
    const { buffer, bucket } = this.pool.acquire(size * 4, forQueueWrite);
    return new GpuStorage(dtype, size, buffer, bucket);
  }

  buf(s: Storage): GPUBuffer {
    if (!(s instanceof GpuStorage)) throw new Error(`webgpu: storage from backend '${s.backend}' passed to webgpu`);
    if (!s.buffer) throw new Error('webgpu: storage used after dispose');
    return s.buffer;
  }

  release(s: Storage): void {
    if (!(s instanceof GpuStorage) || !s.buffer) return;
    if (this.session) {
      this.session.release(s);
      return;
    }
    this.pool.release(s.buffer, s.bucket);
    s.buffer = null;
  }

  /** Records kernel `file`:`entry`, specialised by `values`; bindings[i] → @binding(i). */
  run(
    file: string,
    entry: string,
    values: TemplateValues,
    bindings: Bindings,
    params: Params,
    groups: readonly [number, number, number],
  ): void {
    const pipeline = this.pipelines.get(file, entry, values);
    this.recorder.dispatch(`${file.replace(/\.wgsl$/, '')}.${entry}`, pipeline, bindings, params.words, groups);
  }

  /**
   * Runs `fn` with `session` capturing: kernels append their commands to it instead of recording them, allocate from
   * it, and the index-error tags they issue are pinned (returned, to unpin when the program is freed).
   */
  capture(session: CaptureSession, fn: () => void): number[] {
    if (this.session) throw new Error('webgpu: a capture is already open');
    this.checks.throwIfFailed();
    this.session = session;
    // A zero fill as a kernel (fill.wgsl, as `fill` runs for non-zero values): same bytes, and the pass goes on.
    this.recorder.beginCapture(session.commands, (buffer, bytes) =>
      this.run(
        'fill.wgsl',
        'main',
        {},
        [undefined, buffer],
        new Params().u(bytes / 4).u(0),
        grid(Math.ceil(bytes / 1024)),
      ),
    );
    this.indexErrors.startPinning();
    try {
      fn();
    } catch (e) {
      this.indexErrors.unpin(this.indexErrors.stopPinning());
      throw e;
    } finally {
      this.session = null;
      this.recorder.endCapture();
    }
    return this.indexErrors.stopPinning();
  }

  destroy(): void {
    this.recorder.destroy();
    this.pool.destroy();
    this.dummyRead.destroy();
    this.dummyWrite.destroy();
    this.indexErrors.buffer.destroy();
  }
}
