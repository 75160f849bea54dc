/**
 * Module: a tree of named parameters, buffers and submodules, as in torch.nn.Module. Registration is explicit
 * (registerParameter / registerBuffer / registerModule return what they register, for assignment to a field);
 * iteration follows registration order and yields each shared tensor once.
 *
 * State-dict keys are the dotted paths (`towers.ctr.net.fc1.weight`; an ExpertBank's stacked experts read
 * `experts.fc1.weight`, [E, out, in]) and buffer names follow PyTorch's
 * (`running_mean`, `running_var`, `num_batches_tracked`) so checkpoints line up with torch's naming.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { keep, tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { mul } from '../ops/elementwise.js';
import { copyInto } from './in-place.js';
import { clearTouchedRows } from './sparse-rows.js';

/** Who registered a tensor or module first, under which local name: enough to rebuild its dotted path. */
interface Owner {
  module: Module;
  name: string;
}
const tensorOwners = new WeakMap<Tensor, Owner>();

/**
 * The dotted path of a parameter or buffer from the outermost module that (transitively) registered it, e.g.
 * 'towers.ctr.net.fc1.weight'; undefined for a tensor no module registered. Used by optimizers' error messages.
 */
export function parameterName(t: Tensor): string | undefined {
  const owner = tensorOwners.get(t);
  if (!owner) return undefined;
  const parts = [owner.name];
  let m: Module | undefined = owner.module;
  for (let guard = 0; m && guard < 10_000; guard++) {
    const parent: Owner | undefined = m.parentLink;
    if (!parent) break;
    parts.unshift(parent.name);
    m = parent.module;
  }
  return parts.join('.');
}

function checkLocalName(kind: string, owner: Module, name: string): void {
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error(
      `${owner.constructor.name}.register${kind}: name '${name}' must be non-empty letters, digits or '_' (dots separate path levels)`,
    );
  }
}

export interface LoadResult {
  missing: string[];
  unexpected: string[];
}

export class Module {
  /** Training mode (dropout active, batch norm uses batch statistics); toggled by train()/eval(). */
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffersByName = new Map<string, Tensor>();
  private readonly childModules = new Map<string, Module>();
  /** The first module that registered this one, for parameterName(). */
  parentLink: Owner | undefined;

  protected registerParameter(name: string, t: Tensor): Tensor {
    checkLocalName('Parameter', this, name);
    this.assertFreeName(name);
    if (!t.requiresGrad || !t.isLeaf)
      throw new Error(
        `${this.constructor.name}.registerParameter('${name}'): expected a leaf tensor that requires grad (use createParameter), got ${t.toString()}`,
      );
    if (!t.kept) keep(t);
    this.params.set(name, t);
    if (!tensorOwners.has(t)) tensorOwners.set(t, { module: this, name });
    return t;
  }

  protected registerBuffer(name: string, t: Tensor): Tensor {
    checkLocalName('Buffer', this, name);
    this.assertFreeName(name);
    if (!t.kept) keep(t);
    this.buffersByName.set(name, t);
    tensorOwners.set(t, { module: this, name });
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    checkLocalName('Module', this, name);
    this.assertFreeName(name);
    if (m === (this as Module))
      throw new Error(`${this.constructor.name}.registerModule('${name}'): a module cannot contain itself`);
    this.childModules.set(name, m);
    if (!m.parentLink) m.parentLink = { module: this, name };
    return m;
  }

  /** Replaces a buffer's tensor (running statistics): the old one is disposed, the new one kept. */
  protected replaceBuffer(name: string, t: Tensor): Tensor {
    const old = this.buffersByName.get(name);
    if (!old) throw new Error(`${this.constructor.name}: no buffer named '${name}'`);
    if (!shapesEqual(old.shape, t.shape) || old.dtype !== t.dtype) {
      throw new Error(
        `${this.constructor.name}: buffer '${name}' is ${fmt(old.shape)} ${old.dtype}, replacement is ${fmt(t.shape)} ${t.dtype}`,
      );
    }
    keep(t);
    this.buffersByName.set(name, t);
    tensorOwners.set(t, { module: this, name });
    if (old !== t) old.dispose();
    return t;
  }

  /** The current tensor of a registered buffer. */
  buffer(name: string): Tensor {
    const b = this.buffersByName.get(name);
    if (!b)
      throw new Error(
        `${this.constructor.name}: no buffer named '${name}' (has: ${[...this.buffersByName.keys()].join(', ') || 'none'})`,
      );
    return b;
  }

  private assertFreeName(name: string): void {
    if (this.params.has(name) || this.buffersByName.has(name) || this.childModules.has(name)) {
      throw new Error(`${this.constructor.name}: '${name}' is already registered`);
    }
  }

  /** [path, module] for this module ('') and every descendant, depth first, each module once. */
  namedModules(prefix = '', seen = new Set<Module>()): [string, Module][] {
    if (seen.has(this)) return [];
    seen.add(this);
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this.childModules) out.push(...m.namedModules(prefix ? `${prefix}.${name}` : name, seen));
    return out;
  }

  namedChildren(): [string, Module][] {
    return [...this.childModules];
  }
  children(): Module[] {
    return [...this.childModules.values()];
  }

  private namedTensors(kind: 'params' | 'buffersByName'): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [path, m] of this.namedModules()) {
      for (const [name, t] of m[kind]) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([path ? `${path}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Dotted names and parameters, in registration order, each parameter once. */
  namedParameters(): [string, Tensor][] {
    return this.namedTensors('params');
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  namedBuffers(): [string, Tensor][] {
    return this.namedTensors('buffersByName');
  }
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /** Number of parameter elements (only those that require grad when trainableOnly). */
  numParams(opts: { trainableOnly?: boolean } = {}): number {
    return this.parameters()
      .filter((p) => !opts.trainableOnly || p.requiresGrad)
      .reduce((n, p) => n + p.size, 0);
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Drops every parameter's gradient (disposing it) and the embedding rows recorded for lazy updates. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      if (p.grad) {
        p.grad.dispose();
        p.grad = null;
      }
      clearTouchedRows(p);
    }
  }

  /**
   * A snapshot of parameters and buffers by dotted name. The tensors are copies the caller owns (dispose them, or
   * let a tidy do it): later training does not change them.
   */
  stateDict(): Record<string, Tensor> {
    return tidy(() =>
      noGrad(() => {
        const out: Record<string, Tensor> = {};
        for (const [name, t] of [...this.namedParameters(), ...this.namedBuffers()]) {
          out[name] = t.dtype === 'int32' ? t.add(0) : mul(t, 1);
        }
        return out;
      }),
    );
  }

  /**
   * Copies values into the existing parameters and buffers (their identity is kept, so optimizers stay attached).
   * Every problem is reported at once, before anything is written: shape/dtype mismatches always; missing and
   * unexpected names when strict (the default), else they are returned.
   */
  loadStateDict(state: Readonly<Record<string, Tensor>>, opts: { strict?: boolean } = {}): LoadResult {
    const strict = opts.strict ?? true;
    const own = new Map([...this.namedParameters(), ...this.namedBuffers()]);
    const missing = [...own.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [name, t] of own) {
      const s = state[name];
      if (!s) continue;
      if (!shapesEqual(s.shape, t.shape))
        problems.push(`'${name}': expected shape ${fmt(t.shape)}, got ${fmt(s.shape)}`);
      else if (s.dtype !== t.dtype) problems.push(`'${name}': expected ${t.dtype}, got ${s.dtype}`);
      else if (s.backendName !== t.backendName)
        problems.push(`'${name}': lives on backend '${s.backendName}', the module on '${t.backendName}'`);
    }
    if (strict && missing.length) problems.push(`missing keys: ${missing.join(', ')}`);
    if (strict && unexpected.length) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    if (problems.length) throw new Error(`${this.constructor.name}.loadStateDict: ${problems.join('; ')}`);
    for (const [name, t] of own) {
      const s = state[name];
      if (!s) continue;
      if (t.dtype === 'int32') this.reloadIntBuffer(name, s);
      else copyInto(t, s, `${this.constructor.name}.loadStateDict('${name}')`);
    }
    return { missing, unexpected };
  }

  /** int32 buffers (counters) cannot be written in place: their owning module replaces them. */
  private reloadIntBuffer(path: string, value: Tensor): void {
    const dot = path.lastIndexOf('.');
    const ownerPath = dot < 0 ? '' : path.slice(0, dot);
    const local = path.slice(dot + 1);
    const owner = this.namedModules().find(([p]) => p === ownerPath)?.[1];
    if (!owner) throw new Error(`${this.constructor.name}.loadStateDict: no module at '${ownerPath}' for '${path}'`);
    owner.replaceBuffer(
      local,
      tidy(() => noGrad(() => keep(value.add(0)))),
    );
  }

  /** Disposes every parameter and buffer (the module is unusable afterwards). */
  dispose(): void {
    for (const t of [...this.parameters(), ...this.buffers()]) t.dispose();
  }
}

/** A module whose forward maps one tensor to one tensor (what Sequential and MLP chain). */
export interface TensorModule extends Module {
  forward(x: Tensor): Tensor;
}
