/**
 * The engine: which backends are live, which one new tensors go to, storage reference counts, memory scopes
 * (tidy) and the global random-number state. It knows tensors only as things to count and dispose.
 */
import type { Backend, BackendMemory, Storage } from '../backends/kernels.js';
import { bytesPerElement } from '../backends/kernels.js';
import { JsBackend } from '../backends/js/index.js';
import { checked } from '../backends/checked.js';
import { randomBytes } from 'node:crypto';

/** What the engine needs of a tensor (the class lives in tensor.ts, which imports this file). */
export interface Tracked {
  readonly id: number;
  readonly storage: Storage;
  readonly isDisposed: boolean;
  dispose(): void;
  /** Set by keep(): never disposed by a scope. */
  kept: boolean;
}

export interface MemoryInfo {
  /** Live (not disposed) tensors, all backends. */
  tensors: number;
  /** Bytes of distinct live storages, all backends. */
  bytes: number;
  byBackend: Record<string, { tensors: number; bytes: number; backend: BackendMemory }>;
}

class Engine {
  readonly backends = new Map<string, Backend>();
  private currentName = 'js';
  private readonly storageRefs = new Map<Storage, number>();
  private readonly liveTensors = new Map<string, number>();
  private readonly scopes: Set<Tracked>[] = [];
  private nextId = 1;
  gradEnabled = true;
  seedLo = 0;
  seedHi = 0;
  randomOffset = 0;

  constructor() {
    const seed = randomBytes(8);
    this.seedLo = seed.readUInt32LE(0);
    this.seedHi = seed.readUInt32LE(4);
  }

  get backend(): Backend {
    let b = this.backends.get(this.currentName);
    if (!b && this.currentName === 'js') {
      b = checked(new JsBackend('js'));
      this.backends.set('js', b);
    }
    if (!b) throw new Error(`mtgrad: backend '${this.currentName}' is not initialised; call await init({ backend: '${this.currentName}' })`);
    return b;
  }

  /** Registers b behind the validating layer (every kernel call checked once, backends/checked.ts); returns it. */
  register(b: Backend, makeCurrent: boolean): Backend {
    const wrapped = checked(b);
    this.backends.set(b.name, wrapped);
    if (makeCurrent) this.currentName = b.name;
    return wrapped;
  }

  setCurrent(name: string): void {
    if (!this.backends.has(name) && name !== 'js') throw new Error(`mtgrad: backend '${name}' is not initialised`);
    this.currentName = name;
  }

  backendOf(s: Storage): Backend {
    const b = this.backends.get(s.backend) ?? (s.backend === 'js' ? this.backend : undefined);
    if (!b) throw new Error(`mtgrad: storage belongs to backend '${s.backend}', which is not initialised`);
    return b;
  }

  newId(): number { return this.nextId++; }

  /** Called by every tensor constructor: counts it, refs its storage, and puts it in the innermost scope. */
  track(t: Tracked): void {
    this.storageRefs.set(t.storage, (this.storageRefs.get(t.storage) ?? 0) + 1);
    this.liveTensors.set(t.storage.backend, (this.liveTensors.get(t.storage.backend) ?? 0) + 1);
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.add(t);
  }

  /** Called by Tensor.dispose: frees the storage when its last tensor goes. */
  untrack(t: Tracked): void {
    this.liveTensors.set(t.storage.backend, (this.liveTensors.get(t.storage.backend) ?? 1) - 1);
    const refs = (this.storageRefs.get(t.storage) ?? 1) - 1;
    if (refs > 0) this.storageRefs.set(t.storage, refs);
    else {
      this.storageRefs.delete(t.storage);
      this.backendOf(t.storage).dispose(t.storage);
    }
    for (let i = this.scopes.length - 1; i >= 0; i--) if (this.scopes[i].delete(t)) break;
  }

  keep(t: Tracked): void {
    t.kept = true;
    for (const s of this.scopes) s.delete(t);
  }

  startScope(): void { this.scopes.push(new Set()); }

  /** True when t was created in the innermost open scope (and not kept). */
  inCurrentScope(t: Tracked): boolean {
    const scope = this.scopes[this.scopes.length - 1];
    return scope !== undefined && scope.has(t);
  }

  /** Disposes every tensor made in the scope except `survivors`, which move to the parent scope. */
  endScope(survivors: Set<Tracked>): void {
    const scope = this.scopes.pop();
    if (!scope) throw new Error('mtgrad: endScope without startScope');
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of scope) {
      if (survivors.has(t)) { if (parent && !t.kept) parent.add(t); }
      else if (!t.kept && !t.isDisposed) t.dispose();
    }
  }

  memory(): MemoryInfo {
    const byBackend: MemoryInfo['byBackend'] = {};
    let bytes = 0;
    let tensors = 0;
    for (const [name, b] of this.backends) byBackend[name] = { tensors: this.liveTensors.get(name) ?? 0, bytes: 0, backend: b.memory() };
    for (const s of this.storageRefs.keys()) {
      const n = s.size * bytesPerElement(s.dtype);
      bytes += n;
      const entry = byBackend[s.backend];
      if (entry) entry.bytes += n;
    }
    for (const n of this.liveTensors.values()) tensors += n;
    return { tensors, bytes, byBackend };
  }

  /** Reserves `count` counters of the random stream and returns the first. */
  takeRandomOffset(count: number): number {
    const o = this.randomOffset;
    this.randomOffset += count;
    return o;
  }
}

export const engine = new Engine();

/** Seeds the counter-based generator: the same seed gives the same numbers on every backend. */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`manualSeed: seed must be a non-negative safe integer, got ${seed}`);
  engine.seedLo = seed % 4294967296;
  engine.seedHi = Math.floor(seed / 4294967296);
  engine.randomOffset = 0;
}

export function memory(): MemoryInfo { return engine.memory(); }
