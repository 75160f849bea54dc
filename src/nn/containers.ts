/** Containers: Sequential (chains tensor modules), ModuleList (indexed) and ModuleDict (named, e.g. towers). */
import type { Tensor } from '../tensor/tensor.js';
import { Module, type TensorModule } from './module.js';

export class Sequential extends Module implements TensorModule {
  private readonly layers: TensorModule[];

  constructor(...layers: TensorModule[]) {
    super();
    this.layers = layers.map((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.layers.length;
  }
  at(i: number): TensorModule {
    const m = this.layers[i];
    if (!m) throw new Error(`Sequential.at: index ${i} is out of range (length ${this.layers.length})`);
    return m;
  }

  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}

/** Modules addressed by index; parameter names are `<index>.<name>` (e.g. `0.fc1.weight` under the list's own name). */
export class ModuleList<M extends Module = Module> extends Module implements Iterable<M> {
  private readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  append(m: M): this {
    this.items.push(this.registerModule(String(this.items.length), m));
    return this;
  }

  get length(): number {
    return this.items.length;
  }
  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new Error(`ModuleList.at: index ${i} is out of range (length ${this.items.length})`);
    return m;
  }
  map<T>(fn: (m: M, i: number) => T): T[] {
    return this.items.map(fn);
  }
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/** Modules addressed by name (towers per task); iteration follows insertion order. */
export class ModuleDict<M extends Module = Module> extends Module {
  private readonly items = new Map<string, M>();

  constructor(modules: Readonly<Record<string, M>> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }

  set(name: string, m: M): this {
    this.items.set(name, this.registerModule(name, m));
    return this;
  }

  get(name: string): M {
    const m = this.items.get(name);
    if (!m)
      throw new Error(
        `ModuleDict.get: no module named '${name}' (has: ${[...this.items.keys()].join(', ') || 'none'})`,
      );
    return m;
  }

  has(name: string): boolean {
    return this.items.has(name);
  }
  keys(): string[] {
    return [...this.items.keys()];
  }
  entries(): [string, M][] {
    return [...this.items];
  }
}
