/// <reference types="@webgpu/types" />
/** The browser (and edge runtime) platform: WebGPU from `navigator.gpu`, bytes from fetch(), no native addon. */
import type { Platform } from './types.js';

/** Replaced by the package version when scripts/build-browser.mjs bundles this file (esbuild `define`). */
declare const MTGRAD_BUNDLE_VERSION: string | undefined;

/** A URL made absolute against the page (or worker) address, so relative checkpoint paths work. */
function absolute(location: string | URL): URL {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return base ? new URL(String(location), base) : new URL(String(location));
  } catch {
    throw new Error(
      `'${String(location)}' is not a URL${base ? '' : ' (and this context has no page address to resolve a relative one against: pass an absolute URL or the bytes)'}`,
    );
  }
}

export const platform: Platform = {
  name: 'browser',
  async createNativeBackend() {
    throw new Error('native backend unavailable: the C++ addon runs only in Node (use js or webgpu in a browser)');
  },
  async defaultGpu() {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu)
      throw new Error(
        'webgpu backend unavailable: navigator.gpu is undefined (this browser or context has no WebGPU; it needs a secure context: https or localhost)',
      );
    return gpu;
  },
  autoWebGpuSkipReason: () => null,
  packageVersion: () => (typeof MTGRAD_BUNDLE_VERSION === 'string' ? MTGRAD_BUNDLE_VERSION : 'unknown'),
  async readBytes(location) {
    const url = absolute(location);
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url.href}: HTTP ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  },
};
