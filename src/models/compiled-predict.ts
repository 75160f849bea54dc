/**
 * model.predict through mt.compile (src/compile): per model instance, one compiled function per input layout
 * (dense / features with cat and/or num / user–item), each keyed by its input shapes inside compile — so the last
 * short batch of a table captures once more and is then replayed too (at most 8 shapes are kept per layout, least
 * recently used dropped). A function the capture cannot hold runs eagerly (compile's fallback 'eager').
 *
 * The captured program holds the storages of the model's parameters and buffers. Optimizer steps and
 * loadStateDict write them in place, so the program stays valid; when a storage is replaced (a BatchNorm running
 * statistic in training, an int32 buffer reloaded), the next predict notices and captures afresh.
 *
 * The gate maps a forward records (lastGates) are returned from the compiled function too, so that after a replay
 * — which runs no JavaScript of the model — lastGates() still describes the latest predict.
 */
import type { Storage } from '../backends/kernels.js';
import { Tensor } from '../tensor/tensor.js';
import { compile, type CompiledFunction, type CompileStats } from '../compile/index.js';
import type { FeatureBatch } from '../nn/feature-encoder.js';
import type { ModelInput, UserItemInput } from './inputs.js';
import type { TaskTensors } from './task-model.js';

/** An input as a flat tensor list plus the layout that rebuilds it. */
export interface FlatInput {
  layout: 'dense' | 'features:c' | 'features:n' | 'features:cn' | 'userItem';
  tensors: Tensor[];
}

/** The tensors of a model input, or null when it is not one of the known kinds (the eager path then explains). */
export function flattenInput(input: unknown): FlatInput | null {
  if (input instanceof Tensor) return { layout: 'dense', tensors: [input] };
  if (typeof input !== 'object' || input === null) return null;
  const o = input as Partial<UserItemInput> & FeatureBatch;
  if (o.user instanceof Tensor && o.item instanceof Tensor) return { layout: 'userItem', tensors: [o.user, o.item] };
  const cat = o.cat instanceof Tensor ? o.cat : null;
  const num = o.num instanceof Tensor ? o.num : null;
  if (cat && num) return { layout: 'features:cn', tensors: [cat, num] };
  if (cat && o.num === undefined) return { layout: 'features:c', tensors: [cat] };
  if (num && o.cat === undefined) return { layout: 'features:n', tensors: [num] };
  return null;
}

export function rebuildInput(layout: FlatInput['layout'], ts: readonly Tensor[]): ModelInput {
  switch (layout) {
    case 'dense':
      return ts[0]!;
    case 'userItem':
      return { user: ts[0]!, item: ts[1]! };
    case 'features:c':
      return { cat: ts[0]! };
    case 'features:n':
      return { num: ts[0]! };
    case 'features:cn':
      return { cat: ts[0]!, num: ts[1]! };
  }
}

export interface PredictParts {
  values: TaskTensors;
  gates: TaskTensors;
}

type Compiled = CompiledFunction<Tensor[], Record<string, Tensor>>;

export class CompiledPredict {
  private readonly byLayout = new Map<string, { fn: Compiled; state: Storage[] }>();

  constructor(
    private readonly name: string,
    /** Forward + output transform, with recording off; returns the task values and the recorded gates. */
    private readonly body: (input: ModelInput) => PredictParts,
    /** The storages of the model's parameters and buffers now. */
    private readonly stateStorages: () => Storage[],
  ) {}

  run(flat: FlatInput): PredictParts {
    const state = this.stateStorages();
    let c = this.byLayout.get(flat.layout);
    if (c && (c.state.length !== state.length || c.state.some((s, i) => s !== state[i]))) {
      c.fn.dispose();
      c = undefined;
    }
    if (!c) {
      const { layout } = flat;
      const fn: Compiled = compile(
        (...ts: Tensor[]) => {
          const { values, gates } = this.body(rebuildInput(layout, ts));
          const out: Record<string, Tensor> = {};
          for (const [k, v] of Object.entries(values)) out[`v:${k}`] = v;
          for (const [k, g] of Object.entries(gates)) out[`g:${k}`] = g;
          return out;
        },
        { fallback: 'eager', name: this.name, maxSignatures: 8 },
      );
      c = { fn, state };
      this.byLayout.set(layout, c);
    }
    const out = c.fn(...flat.tensors);
    const parts: PredictParts = { values: {}, gates: {} };
    for (const [k, t] of Object.entries(out)) {
      if (k.startsWith('v:')) parts.values[k.slice(2)] = t;
      else parts.gates[k.slice(2)] = t;
    }
    return parts;
  }

  /** Summed over the layouts (for tests and diagnostics). */
  stats(): CompileStats[] {
    return [...this.byLayout.values()].map((c) => c.fn.stats());
  }

  dispose(): void {
    for (const c of this.byLayout.values()) c.fn.dispose();
    this.byLayout.clear();
  }
}
