/** Placeholder replaced below. */
import type { Backend, Storage } from '../backends/kernels.js';
import type { Program } from './plan.js';
export interface NativePlan { run(inputs: readonly Storage[], n: number): Storage[]; dispose(): void }
export function nativePlanFor(_p: Program, _b: ReadonlyMap<string, Backend>): NativePlan | null { return null; }
