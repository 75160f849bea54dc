/// <reference types="@webgpu/types" />
/** Entry point of the `webgpu` backend: `await createWebGpuBackend()` (throws, saying why, when unavailable). */
import { WebGpuBackend } from './backend.js';
import { openGpu } from './gpu-context.js';
import { readEnv } from '../../platform/env.js';

export { WebGpuBackend } from './backend.js';

export interface WebGpuOptions {
  /** The WebGPU entry object: `navigator.gpu`, Dawn's `create()` result, ...; default: the platform's (see src/platform). */
  gpu?: GPU;
  /** Error scopes around every pipeline and dispatch (slow); default: env MTGRAD_WEBGPU_DEBUG=1. */
  debug?: boolean;
}

export async function createWebGpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  const ctx = await openGpu(options.gpu);
  const debug = options.debug ?? readEnv('MTGRAD_WEBGPU_DEBUG') === '1';
  return new WebGpuBackend(ctx, debug);
}
