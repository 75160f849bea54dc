/**
 * Where compile finds the WebGPU backend's prepared-command executor (webgpu-plan.ts). It is registered when the
 * webgpu backend loads (tensor/init.ts), so that compile — which model.predict uses — does not load the WebGPU
 * backend's code where no one asked for it.
 */
import type { Backend, Storage } from '../backends/kernels.js';
import type { NativePlanHandle } from './native-hook.js';
import type { Program } from './plan.js';

export interface WebGpuPlanHandle extends NativePlanHandle {
  /** Dispatches a replay encodes, and the compute passes they take (a copy or clear between dispatches ends one). */
  readonly dispatches: number;
  readonly passes: number;
}

export interface WebGpuPlanner {
  planFor(
    program: Program,
    backends: ReadonlyMap<string, Backend>,
    inputs: readonly Storage[],
  ): WebGpuPlanHandle | null;
  /** Why the last planFor returned null. */
  lastRefusal(): string | null;
}

let planner: WebGpuPlanner | null = null;

export function setWebGpuPlanner(p: WebGpuPlanner): void {
  planner = p;
}

export function webgpuPlanner(): WebGpuPlanner | null {
  return planner;
}
