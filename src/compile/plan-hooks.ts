/**
 * Where compile finds a backend's executor for a whole captured program: the native backend's one-call plan
 * (native-plan.ts) and the WebGPU backend's prepared commands (webgpu-plan.ts). Each is registered when its backend
 * loads (native: platform/node.ts; webgpu: tensor/init.ts), so that compile — which model.predict uses — pulls no
 * Node-only code into the browser bundle, and does not load a backend's code where no one asked for it.
 */
import type { Backend, Storage } from '../backends/kernels.js';
import type { Program } from './plan.js';

/** A prepared program on one backend, replayed by compile in place of the generic replay. */
export interface PlanHandle {
  run(inputs: readonly Storage[], n: number): Storage[];
  dispose(): void;
  /** Arena plus constants: what the plan holds while alive. */
  readonly bytes: number;
}

export interface WebGpuPlanHandle extends PlanHandle {
  /** Dispatches a replay encodes, and the compute passes they take (a copy or clear between dispatches ends one). */
  readonly dispatches: number;
  readonly passes: number;
}

export interface Planner<H extends PlanHandle> {
  planFor(program: Program, backends: ReadonlyMap<string, Backend>, inputs: readonly Storage[]): H | null;
  /** Why the last planFor returned null. */
  lastRefusal(): string | null;
}

/** The handle each backend's planner returns. */
interface Planners {
  native: Planner<PlanHandle>;
  webgpu: Planner<WebGpuPlanHandle>;
}

const planners: Partial<Planners> = {};

export function setPlanner<K extends keyof Planners>(backend: K, planner: Planners[K]): void {
  planners[backend] = planner;
}

/** The planner registered for `backend`, or null while that backend has not been loaded. */
export function plannerFor<K extends keyof Planners>(backend: K): Planners[K] | null {
  return planners[backend] ?? null;
}
