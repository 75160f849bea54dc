/**
 * The optimizer base: PyTorch-style parameter groups (every hyper-parameter overridable per group), per-parameter
 * state, zeroGrad, step and state dicts. Subclasses supply the per-parameter update, which runs one fused backend
 * kernel in place (see kernel-call.ts).
 */
import { Tensor } from '../tensor/tensor.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { mul } from '../ops/elementwise.js';
import { full } from '../ops/creation.js';
import { clearTouchedRows, createBuffer, parameterName } from '../nn/index.js';
import { describeParam, updateInPlace } from './kernel-call.js';
import type { RowSelection } from '../backends/kernels.js';

export type HyperValue = number | boolean | readonly number[];
export interface BaseHyper {
  lr: number;
}

/** What a caller passes for a group: its parameters and any hyper-parameters that differ from the defaults. */
export type GroupSpec<H extends BaseHyper> = Partial<H> & { params: Iterable<Tensor>; name?: string };

/** A live group: the full hyper-parameters (schedulers change `lr` here), its parameters and an optional name. */
export type ParamGroup<H extends BaseHyper> = H & { params: Tensor[]; name?: string; initialLr?: number };

export type ParamsArg<H extends BaseHyper> = Iterable<Tensor> | readonly GroupSpec<H>[];

/** Per-parameter optimizer state: a step count and named buffers (torch's key names). */
export type ParamState = Record<string, Tensor | number>;

export interface OptimizerStateDict {
  /** Keyed by the parameter's position across all groups, in order (as torch does). */
  state: Record<number, ParamState>;
  paramGroups: (Record<string, HyperValue | string | undefined> & { params: number[] })[];
}

function isGroupList<H extends BaseHyper>(p: ParamsArg<H>): p is readonly GroupSpec<H>[] {
  return Array.isArray(p) && p.length > 0 && !(p[0] instanceof Tensor);
}

export abstract class Optimizer<H extends BaseHyper> {
  readonly paramGroups: ParamGroup<H>[] = [];
  protected readonly state = new Map<Tensor, ParamState>();
  private readonly groupOf = new Map<Tensor, number>();

  constructor(
    readonly name: string,
    params: ParamsArg<H>,
    readonly defaults: H,
  ) {
    const groups = isGroupList(params) ? params : [{ params } as GroupSpec<H>];
    if (groups.length === 0) throw new Error(`${name}: got an empty parameter list`);
    for (const g of groups) this.addParamGroup(g);
  }

  /** Checks hyper-parameters; `where` names the group in errors. */
  protected abstract validate(h: H, where: string): void;
  /** Fresh state for a parameter's first update. */
  protected abstract initState(p: Tensor, group: ParamGroup<H>): ParamState;
  /** Updates p in place from grad (rows: the lazy row selection for embedding tables). */
  protected abstract update(
    p: Tensor,
    grad: Tensor,
    group: ParamGroup<H>,
    state: ParamState,
    rows?: RowSelection,
  ): void;

  addParamGroup(spec: GroupSpec<H>): void {
    const index = this.paramGroups.length;
    const where = `param group ${index}${spec.name ? ` ('${spec.name}')` : ''}`;
    if (!spec || typeof spec !== 'object' || !spec.params)
      throw new Error(`${this.name}: ${where} needs a 'params' list`);
    const params = [...spec.params];
    if (params.length === 0) throw new Error(`${this.name}: ${where} has no parameters`);
    const seen = new Set<Tensor>();
    for (const p of params) {
      if (!(p instanceof Tensor)) throw new Error(`${this.name}: ${where} contains ${String(p)}, not a Tensor`);
      p.assertLive(this.name);
      if (!p.isLeaf || !p.requiresGrad)
        throw new Error(`${this.name}: ${describeParam(p)} in ${where} must be a leaf tensor that requires grad`);
      if (p.dtype === 'int32')
        throw new Error(`${this.name}: ${describeParam(p)} in ${where} is int32; only float tensors can be optimised`);
      const other = this.groupOf.get(p);
      if (other !== undefined || seen.has(p)) {
        throw new Error(
          `${this.name}: parameter ${describeParam(p)} appears in param group ${other ?? index} and again in ${where}; a parameter may belong to one group only`,
        );
      }
      seen.add(p);
    }
    const { params: _ignored, ...overrides } = spec;
    const group = { ...this.defaults, ...overrides, params } as ParamGroup<H>;
    for (const key of Object.keys(overrides)) {
      if (key !== 'name' && key !== 'initialLr' && !(key in this.defaults)) {
        throw new Error(
          `${this.name}: ${where} sets unknown hyper-parameter '${key}' (known: ${Object.keys(this.defaults).join(', ')})`,
        );
      }
    }
    this.validate(group, where);
    for (const p of params) this.groupOf.set(p, index);
    this.paramGroups.push(group);
  }

  /** Sets every gradient to null (disposing it) and forgets the embedding rows recorded for lazy updates. */
  zeroGrad(): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad) {
          p.grad.dispose();
          p.grad = null;
        }
        clearTouchedRows(p);
      }
    }
  }

  /** One update of every parameter that has a gradient; parameters without one are left alone. */
  step(): void {
    noGrad(() =>
      tidy(() => {
        this.paramGroups.forEach((group, gi) => {
          this.validate(group, `param group ${gi}`);
          for (const p of group.params) {
            const g = p.grad;
            if (!g) continue;
            if (!shapesEqual(g.shape, p.shape) || g.dtype !== p.dtype || g.backendName !== p.backendName) {
              throw new Error(
                `${this.name}: gradient of ${describeParam(p)} is ${fmt(g.shape)} ${g.dtype} on '${g.backendName}', expected ${fmt(p.shape)} ${p.dtype} on '${p.backendName}'`,
              );
            }
            let st = this.state.get(p);
            if (!st) {
              st = this.initState(p, group);
              this.state.set(p, st);
            }
            const state = st;
            updateInPlace(this.name, p, (rows) => this.update(p, g, group, state, rows));
          }
        });
      }),
    );
  }

  /**
   * Counts n more steps for every parameter that has state, touching no buffer: for replays of a captured step
   * (mt.compile's afterReplay), which run the update kernels with the step count extrapolated but not this
   * JavaScript bookkeeping, so that eager steps after replays continue the count.
   */
  advanceSteps(n = 1): void {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(`${this.name}: advanceSteps(${n}) needs a non-negative integer`);
    for (const st of this.state.values()) if (typeof st.step === 'number') st.step += n;
  }

  /** Zero-filled state buffer like p, kept across steps. */
  protected stateBuffer(p: Tensor, value = 0): Tensor {
    return createBuffer(() => full(p.shape, value, { dtype: p.dtype, backend: p.backendName }));
  }

  /** Replaces a state buffer (the old tensor is disposed, the new one kept). */
  protected replaceState(state: ParamState, key: string, t: Tensor): void {
    const old = state[key];
    state[key] = createBuffer(() => t);
    if (old instanceof Tensor && old !== t) old.dispose();
  }

  /** A snapshot: state tensors are copies the caller owns. */
  stateDict(): OptimizerStateDict {
    return tidy(() =>
      noGrad(() => {
        const state: Record<number, ParamState> = {};
        const paramGroups: OptimizerStateDict['paramGroups'] = [];
        let index = 0;
        for (const g of this.paramGroups) {
          const ids: number[] = [];
          for (const p of g.params) {
            const st = this.state.get(p);
            if (st)
              state[index] = Object.fromEntries(
                Object.entries(st).map(([k, v]) => [k, v instanceof Tensor ? mul(v, 1) : v]),
              );
            ids.push(index++);
          }
          const { params: _p, ...hyper } = g;
          paramGroups.push({ ...(hyper as Record<string, HyperValue | string | undefined>), params: ids });
        }
        return { state, paramGroups };
      }),
    );
  }

  /** Restores hyper-parameters and state (copied) for an optimizer built over the same parameters in the same order. */
  loadStateDict(sd: OptimizerStateDict): void {
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new Error(
        `${this.name}.loadStateDict: the state dict has ${sd.paramGroups.length} param groups, this optimizer ${this.paramGroups.length}`,
      );
    }
    const all: Tensor[] = [];
    sd.paramGroups.forEach((sg, i) => {
      const g = this.paramGroups[i];
      if (sg.params.length !== g.params.length) {
        throw new Error(
          `${this.name}.loadStateDict: param group ${i} has ${sg.params.length} parameters in the state dict, ${g.params.length} here`,
        );
      }
      sg.params.forEach((id, j) => {
        all[id] = g.params[j];
      });
    });
    for (const [key, st] of Object.entries(sd.state)) {
      const p = all[Number(key)];
      if (!p) throw new Error(`${this.name}.loadStateDict: state for parameter ${key}, which no group lists`);
      for (const [k, v] of Object.entries(st)) {
        if (
          v instanceof Tensor &&
          (!shapesEqual(v.shape, p.shape) || v.dtype !== p.dtype || v.backendName !== p.backendName)
        ) {
          throw new Error(
            `${this.name}.loadStateDict: state '${k}' of ${describeParam(p)} is ${fmt(v.shape)} ${v.dtype} on '${v.backendName}', expected ${fmt(p.shape)} ${p.dtype} on '${p.backendName}'`,
          );
        }
      }
    }
    sd.paramGroups.forEach((sg, i) => {
      const { params: _p, ...hyper } = sg;
      Object.assign(this.paramGroups[i], hyper);
      this.validate(this.paramGroups[i], `param group ${i}`);
    });
    for (const st of this.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
    for (const [key, st] of Object.entries(sd.state)) {
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(st)) copy[k] = v instanceof Tensor ? createBuffer(() => mul(v, 1)) : v;
      this.state.set(all[Number(key)], copy);
    }
  }

  /** The name a parameter is reported by: its module path when known. */
  protected nameOf(p: Tensor): string {
    return parameterName(p) ?? `#${p.id}`;
  }

  /** Disposes the optimizer's state buffers. */
  dispose(): void {
    for (const st of this.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }
}
