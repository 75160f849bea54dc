/// <reference types="@webgpu/types" />
import type { DType, Storage } from '../kernels.js';

/** A tensor's data on the GPU: a pooled buffer (its bucket may be larger than size · 4 bytes). */
export class GpuStorage implements Storage {
  readonly backend = 'webgpu';
  constructor(
    readonly dtype: DType,
    readonly size: number,
    /** null once disposed. */
    public buffer: GPUBuffer | null,
    readonly bucket: number,
  ) {}
}
