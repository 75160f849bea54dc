/// <reference types="@webgpu/types" />
/**
 * Opens Dawn (npm `webgpu`, an optional dependency loaded lazily so mtgrad works where it is absent), picks an
 * adapter and creates a device with the adapter's maximum limits.
 */

export interface GpuContext {
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string; device: string; description: string };
  /** A software rasteriser (llvmpipe/lavapipe, SwiftShader, WARP): correct but slow, never picked by 'auto'. */
  isSoftware: boolean;
}

/**
 * Dawn's entry object must stay referenced for the life of the process: once it is garbage-collected, Dawn
 * tears down its instance under live devices and crashes later at random. Module scope keeps it alive.
 */
let dawnInstance: GPU | null = null;

async function loadDawn(): Promise<GPU> {
  if (dawnInstance) return dawnInstance;
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    // A variable specifier keeps bundlers and tsc from requiring the optional package to exist.
    const name = 'webgpu';
    mod = (await import(name)) as typeof mod;
  } catch (e) {
    throw new Error(`webgpu backend unavailable: the optional npm package 'webgpu' (Dawn for Node) could not be loaded `
      + `(${(e as Error).message}); install it with 'npm install webgpu'`);
  }
  Object.assign(globalThis, mod.globals);
  dawnInstance = mod.create([]);
  return dawnInstance;
}

/**
 * The process-wide Dawn `GPU` object (created once, kept referenced for the process lifetime). Exported so other
 * WebGPU users in the same process — e.g. the tfjs-webgpu comparison bench, through `navigator.gpu` — share the
 * one Dawn instance instead of creating a second.
 */
export const dawnGpu = (): Promise<GPU> => loadDawn();

const SOFTWARE_PATTERN = /llvmpipe|lavapipe|swiftshader|software|warp|basic render/i;

export async function openGpu(): Promise<GpuContext> {
  const gpu = await loadDawn();
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp'; // Vulkan loaders warn (or fail) without it
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error('webgpu backend unavailable: no WebGPU adapter found (no GPU driver; on Linux without a GPU install '
      + 'the software Vulkan driver with scripts/setup-lavapipe.sh)');
  }
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const value = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') requiredLimits[key] = value;
  }
  const device = await adapter.requestDevice({ requiredLimits, label: 'mtgrad' });
  const info = adapter.info;
  const adapterInfo = {
    vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '',
    description: info.description ?? '',
  };
  const isFallback = (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const isSoftware = isFallback || adapterInfo.architecture === 'software'
    || SOFTWARE_PATTERN.test(`${adapterInfo.vendor} ${adapterInfo.device} ${adapterInfo.description}`);
  return { device, adapterInfo, isSoftware };
}
