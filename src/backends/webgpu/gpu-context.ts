/// <reference types="@webgpu/types" />
/**
 * Opens a WebGPU adapter and creates a device with the adapter's maximum limits, from any `GPU` object:
 * `navigator.gpu` in a browser, Dawn's `create()` result in Node (the platform's default, loaded lazily so mtgrad
 * works where the optional npm `webgpu` package is absent).
 */
import { platform } from '../../platform/index.js';

export interface GpuContext {
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string; device: string; description: string };
  /** A software rasteriser (llvmpipe/lavapipe, SwiftShader, WARP): correct but slow, never picked by 'auto'. */
  isSoftware: boolean;
}

/**
 * The platform's default `GPU` object (in Node: the process-wide Dawn instance, created once and kept referenced).
 * Exported so other WebGPU users in the same process — e.g. the tfjs-webgpu comparison bench, through
 * `navigator.gpu` — share the one Dawn instance instead of creating a second.
 */
export const dawnGpu = (): Promise<GPU> => platform.defaultGpu();

const SOFTWARE_PATTERN = /llvmpipe|lavapipe|swiftshader|software|warp|basic render/i;

export async function openGpu(gpuObject?: GPU): Promise<GpuContext> {
  const gpu = gpuObject ?? (await platform.defaultGpu());
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(
      'webgpu backend unavailable: no WebGPU adapter found (no GPU driver; on Linux without a GPU install ' +
        'the software Vulkan driver with scripts/setup-lavapipe.sh)',
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const value = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof value === 'number') requiredLimits[key] = value;
  }
  const device = await adapter.requestDevice({ requiredLimits, label: 'mtgrad' });
  const info = adapter.info;
  const adapterInfo = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
  };
  const isFallback = (info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const isSoftware =
    isFallback ||
    adapterInfo.architecture === 'software' ||
    SOFTWARE_PATTERN.test(`${adapterInfo.vendor} ${adapterInfo.device} ${adapterInfo.description}`);
  return { device, adapterInfo, isSoftware };
}
