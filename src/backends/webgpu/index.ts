/** Entry point of the `webgpu` backend: `await createWebGpuBackend()` (throws, saying why, when unavailable). */
import { WebGpuBackend } from './backend.js';
import { openGpu } from './gpu-context.js';

export { WebGpuBackend } from './backend.js';

export interface WebGpuOptions {
  /** Error scopes around every pipeline and dispatch (slow); default: env MTGRAD_WEBGPU_DEBUG=1. */
  debug?: boolean;
}

export async function createWebGpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  const ctx = await openGpu();
  const debug = options.debug ?? process.env.MTGRAD_WEBGPU_DEBUG === '1';
  return new WebGpuBackend(ctx, debug);
}
