/**
 * Where compile finds the native backend's one-call executor (native-plan.ts). It is registered when the native
 * backend loads (platform/node.ts), so that compile — which model.predict uses — pulls no Node-only code into the
 * browser bundle.
 */
import type { Backend, Storage } from '../backends/kernels.js';
import type { Program } from './plan.js';

export interface NativePlanHandle {
  run(inputs: readonly Storage[], n: number): Storage[];
  dispose(): void;
  /** Arena plus constants: what the plan holds while alive. */
  readonly bytes: number;
}

export interface NativePlanner {
  planFor(
    program: Program,
    backends: ReadonlyMap<string, Backend>,
    inputs: readonly Storage[],
  ): NativePlanHandle | null;
  /** Why the last planFor returned null. */
  lastRefusal(): string | null;
}

let planner: NativePlanner | null = null;

export function setNativePlanner(p: NativePlanner): void {
  planner = p;
}

export function nativePlanner(): NativePlanner | null {
  return planner;
}
