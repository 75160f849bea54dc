/**
 * Where compile finds the WebGPU backend's prepared-command executor (webgpu-plan.ts). It is registered when the
 * webgpu backend loads (tensor/init.ts), so that compile — which model.predict uses — does not load the WebGPU
 * backend's code where no one asked for it.
 */
import type { NativePlanner } from './native-hook.js';

let planner: NativePlanner | null = null;

export function setWebGpuPlanner(p: NativePlanner): void {
  planner = p;
}

export function webgpuPlanner(): NativePlanner | null {
  return planner;
}
