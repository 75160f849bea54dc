/// <reference types="@webgpu/types" />
/**
 * The `webgpu` backend: tensors live in pooled GPU buffers, ops record dispatches (see recorder.ts) and nothing
 * runs until a read or flush submits them. Kernels are in kernels/*.wgsl; the op modules in ops/ specialise and
 * dispatch them.
 */
import type {
  AdagradParams,
  AdamParams,
  Backend,
  BackendInfo,
  BackendMemory,
  BinaryOp,
  DType,
  MatmulParams,
  MixtureParams,
  RandomParams,
  ReduceOp,
  RowSelection,
  SgdParams,
  Shape,
  Storage,
  TypedArray,
  UnaryArgs,
  UnaryOp,
} from '../kernels.js';
import { WEBGPU_DTYPES, WebGpuCore, wgslType } from './core.js';
import type { GpuContext } from './gpu-context.js';
import { GpuStorage } from './storage.js';
import * as elementwise from './ops/elementwise.js';
import * as fused from './ops/fused.js';
import * as matmulOps from './ops/matmul.js';
import * as movement from './ops/movement.js';
import * as optim from './ops/optim.js';
import * as random from './ops/random.js';
import * as reduction from './ops/reduce.js';

const MAP_READ_USAGE = 0x01 | 0x08; // MAP_READ | COPY_DST
const MAP_MODE_READ = 0x1;

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu';
  /** Exposed for tests and benchmarks (pipeline counts, pool state, forced tile plans). */
  readonly core: WebGpuCore;
  private destroyed = false;

  constructor(
    private readonly ctx: GpuContext,
    debug: boolean,
  ) {
    this.core = new WebGpuCore(ctx.device, debug, ctx.isSoftware);
    void ctx.device.lost.then((info) => {
      if (!this.destroyed) this.core.checks.deviceLost(`${info.reason}: ${info.message}`);
    });
  }

  info(): BackendInfo {
    const { adapterInfo, isSoftware } = this.ctx;
    return {
      name: this.name,
      description:
        `WebGPU (Dawn) on ${adapterInfo.description || adapterInfo.device || 'unknown adapter'}` +
        ` [${adapterInfo.vendor}/${adapterInfo.architecture}]${isSoftware ? ' (software)' : ''}`,
      syncReadback: false,
      dtypes: WEBGPU_DTYPES,
      vendor: adapterInfo.vendor,
      architecture: adapterInfo.architecture,
      device: adapterInfo.device,
      adapterDescription: adapterInfo.description,
      isSoftware,
      debug: this.core.checks.debug,
    };
  }

  // ---- storage ----
  upload(data: TypedArray, dtype: DType): Storage {
    wgslType(dtype);
    const out = this.core.alloc(dtype, data.length, true);
    if (data.length) {
      // Convert only when the array's element type is not the storage dtype (e.g. float64 data for float32).
      const matches = dtype === 'int32' ? data instanceof Int32Array : data instanceof Float32Array;
      const typed = matches ? data : dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data);
      this.core.device.queue.writeBuffer(out.buffer!, 0, typed.buffer, typed.byteOffset, typed.byteLength);
    }
    return out;
  }

  /** Tensors live in GPU buffers here: a borrow is an upload. */
  borrow(data: TypedArray, dtype: DType): Storage {
    return this.upload(data, dtype);
  }

  fill(size: number, value: number, dtype: DType): Storage {
    return elementwise.fill(this.core, size, value, dtype);
  }

  async read(s: Storage): Promise<TypedArray> {
    const src = this.core.buf(s);
    const bytes = s.size * 4;
    const result = s.dtype === 'int32' ? new Int32Array(s.size) : new Float32Array(s.size);
    if (bytes === 0) {
      this.flush();
      await this.core.checks.settle();
      return result;
    }
    const staging = this.core.device.createBuffer({ size: bytes, usage: MAP_READ_USAGE, label: 'readback' });
    this.core.recorder.copy(src, 0, staging, 0, bytes);
    const errors = this.core.indexErrors.stage((from, to) => this.core.recorder.copy(from, 0, to, 0, 16));
    this.core.recorder.submit();
    try {
      await staging.mapAsync(MAP_MODE_READ);
      new Uint8Array(result.buffer).set(new Uint8Array(staging.getMappedRange(), 0, bytes));
      staging.unmap();
    } finally {
      staging.destroy();
    }
    await this.core.indexErrors.check(errors);
    await this.core.checks.settle();
    return result;
  }

  readSync(_s: Storage): TypedArray {
    throw new Error('webgpu: synchronous readback is not possible; use await t.data()');
  }

  dispose(s: Storage): void {
    this.core.release(s);
  }

  memory(): BackendMemory {
    const pool = this.core.pool;
    return {
      buffers: pool.liveBuffers,
      bytes: pool.liveBytes,
      pooledBuffers: pool.pooledBuffers,
      pooledBytes: pool.pooledBytes,
      pipelines: this.core.pipelines.size,
    };
  }

  flush(): void {
    this.core.checks.throwIfFailed();
    this.core.recorder.submit();
  }

  /** Submits what is recorded, frees every buffer and the device; the process can then exit. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.core.recorder.submit();
    this.core.destroy();
    this.ctx.device.destroy();
  }

  // ---- elementwise ----
  unary(op: UnaryOp, x: Storage, args?: UnaryArgs): Storage {
    return elementwise.unary(this.core, op, x, args);
  }
  binary(op: BinaryOp, a: Storage, b: Storage, aShape: Shape, bShape: Shape, outShape: Shape): Storage {
    return elementwise.binary(this.core, op, a, b, aShape, bShape, outShape);
  }
  where(
    cond: Storage,
    a: Storage,
    b: Storage,
    condShape: Shape,
    aShape: Shape,
    bShape: Shape,
    outShape: Shape,
  ): Storage {
    return elementwise.where(this.core, cond, a, b, condShape, aShape, bShape, outShape);
  }
  cast(x: Storage, dtype: DType): Storage {
    return elementwise.cast(this.core, x, dtype);
  }

  // ---- reductions ----
  reduce(op: ReduceOp, x: Storage, outer: number, n: number, inner: number): Storage {
    return reduction.reduce(this.core, op, x, outer, n, inner);
  }
  softmax(x: Storage, rows: number, n: number, log: boolean): Storage {
    return reduction.softmax(this.core, x, rows, n, log);
  }

  // ---- data movement ----
  permute(x: Storage, shape: Shape, perm: readonly number[]): Storage {
    return movement.permute(this.core, x, shape, perm);
  }
  broadcastTo(x: Storage, inShape: Shape, outShape: Shape): Storage {
    return movement.broadcastTo(this.core, x, inShape, outShape);
  }
  slice(x: Storage, shape: Shape, begin: readonly number[], step: readonly number[], outShape: Shape): Storage {
    return movement.slice(this.core, x, shape, begin, step, outShape);
  }
  sliceWrite(
    src: Storage,
    srcShape: Shape,
    fullShape: Shape,
    begin: readonly number[],
    step: readonly number[],
  ): Storage {
    return movement.sliceWrite(this.core, src, srcShape, fullShape, begin, step);
  }
  concat(xs: readonly Storage[], outer: number, widths: readonly number[]): Storage {
    return movement.concat(this.core, xs, outer, widths);
  }
  gather(x: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    return movement.gather(this.core, x, indices, outer, n, inner);
  }
  scatterAdd(src: Storage, indices: Storage, outer: number, n: number, inner: number): Storage {
    return movement.scatterAdd(this.core, src, indices, outer, n, inner);
  }

  // ---- linear algebra, random ----
  matmul(a: Storage, b: Storage, p: MatmulParams): Storage {
    return matmulOps.matmul(this.core, a, b, p);
  }
  random(size: number, dtype: DType, p: RandomParams): Storage {
    return random.random(this.core, size, dtype, p);
  }

  // ---- fused ----
  gatedMixture(experts: Storage, gateLogits: Storage, p: MixtureParams): { out: Storage; weights: Storage } {
    return fused.gatedMixture(this.core, experts, gateLogits, p);
  }
  gatedMixtureBackward(
    gOut: Storage,
    experts: Storage,
    weights: Storage,
    p: MixtureParams,
  ): { gExperts: Storage; gLogits: Storage } {
    return fused.gatedMixtureBackward(this.core, gOut, experts, weights, p);
  }
  bceWithLogits(logits: Storage, targets: Storage): Storage {
    return fused.bceWithLogits(this.core, logits, targets);
  }
  bceWithLogitsGrad(logits: Storage, targets: Storage): Storage {
    return fused.bceWithLogitsGrad(this.core, logits, targets);
  }

  // ---- optimizers ----
  sgdUpdate(param: Storage, grad: Storage, momentumBuf: Storage | null, p: SgdParams, sel?: RowSelection): void {
    optim.sgdUpdate(this.core, param, grad, momentumBuf, p, sel);
  }
  adamUpdate(param: Storage, grad: Storage, m: Storage, v: Storage, p: AdamParams, sel?: RowSelection): void {
    optim.adamUpdate(this.core, param, grad, m, v, p, sel);
  }
  adagradUpdate(param: Storage, grad: Storage, sum: Storage, p: AdagradParams, sel?: RowSelection): void {
    optim.adagradUpdate(this.core, param, grad, sum, p, sel);
  }
}

export { GpuStorage };
