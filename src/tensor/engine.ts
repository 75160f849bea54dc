/**
 * The engine: which backends are live, which one new tensors go to, storage reference counts, memory scopes
 * (tidy) and the global random-number state. It knows tensors only as things to count and dispose.
 */
import type { Backend, BackendMemory, Storage } from '../backends/kernels.js';
import { bytesPerElement } from '../backends/kernels.js';
import { JsBackend } from '../backends/js/index.js';
import { checked } from '../backends/checked.js';

/**
 * What a collected tensor leaves behind for the FinalizationRegistry: its storage, whether it was already freed, and
 * the grip its recorded op holds on the op's inputs. It never references the tensor itself (that would keep it alive).
 */
export interface TensorCell {
  readonly storage: Storage;
  freed: boolean;
  grip: Grip | null;
}

/**
 * A recorded op's hold on the tensors its backward reads (inputs and saved tensors): each counts one graph reference
 * while the grip is unreleased. Released when backward consumes the op (without retainGraph) or when the last output
 * holding it is freed.
 */
export interface Grip {
  readonly refs: readonly Tracked[];
  holders: number;
  released: boolean;
}

/** What the engine needs of a tensor (the class lives in tensor.ts, which imports this file). */
export interface Tracked {
  readonly id: number;
  readonly storage: Storage;
  /** Disposed by its owner (dispose(), a tidy or an op scope); the storage may still be held by a graph. */
  readonly isDisposed: boolean;
  readonly cell: TensorCell;
  /** Graph references: recorded ops whose backward still needs this tensor. */
  graphRefs: number;
  /** The serial of the scope the tensor belongs to (0: none). */
  scopeId: number;
  /** Survivor mark of the scope being closed. */
  mark: number;
  dispose(): void;
  /** Set by keep(): never disposed by a scope. */
  kept: boolean;
}

export interface MemoryInfo {
  /** Live tensors (not yet freed: disposed tensors a recorded graph still needs count until it is released). */
  tensors: number;
  /** Bytes of distinct live storages, all backends. */
  bytes: number;
  /** Tensors never disposed whose storage went back to the backend when the garbage collector reclaimed them. */
  reclaimed: number;
  byBackend: Record<string, { tensors: number; bytes: number; backend: BackendMemory }>;
}

/** Escaped tensors are registered for collection in batches of this many. */
const ESCAPE_BATCH = 256;

/** Below this many scope entries the tracked list is never compacted. */
const COMPACT_MIN = 4096;

class Engine {
  readonly backends = new Map<string, Backend>();
  private currentName = 'js';
  private readonly storageRefs = new Map<Storage, number>();
  private readonly liveTensors = new Map<string, number>();
  /**
   * Scopes are regions of one array: tensors are pushed as they are made; a scope is the start index of its region
   * (and a serial that tags its tensors). Opening and closing a scope allocates nothing, so every op can run in one.
   */
  private readonly tracked: Tracked[] = [];
  private readonly scopeStarts: number[] = [];
  private readonly scopeSerials: number[] = [];
  private nextSerial = 1;
  private nextMark = 1;
  private compactAt = COMPACT_MIN;
  private reclaimedCount = 0;
  /** While > 0, grips consumed by backward are queued and released when the pass ends (the walk still reads them). */
  private backwardDepth = 0;
  private readonly pendingGrips: Grip[] = [];
  /** Tensors that left every scope since the last flush (see escape). */
  private readonly escaped: Tracked[] = [];
  private readonly registry = new FinalizationRegistry<TensorCell>((cell) => this.reclaim(cell));
  private nextId = 1;
  gradEnabled = true;
  seedLo = 0;
  seedHi = 0;
  randomOffset = 0;

  constructor() {
    // Web Crypto: a global in browsers, workers and Node >= 19, so the engine needs no node: import.
    const seed = globalThis.crypto.getRandomValues(new Uint32Array(2));
    this.seedLo = seed[0];
    this.seedHi = seed[1];
  }

  get backend(): Backend {
    let b = this.backends.get(this.currentName);
    if (!b && this.currentName === 'js') {
      b = checked(new JsBackend('js'));
      this.backends.set('js', b);
    }
    if (!b)
      throw new Error(
        `mtgrad: backend '${this.currentName}' is not initialised; call await init({ backend: '${this.currentName}' })`,
      );
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

  newId(): number {
    return this.nextId++;
  }

  /** True while a backward pass runs node gradients: tensors disposed by their owner but held by the graph are readable. */
  get inBackward(): boolean {
    return this.backwardDepth > 0;
  }

  /** Called by every tensor constructor: counts it, refs its storage, watches it for collection, and scopes it. */
  track(t: Tracked): void {
    this.storageRefs.set(t.storage, (this.storageRefs.get(t.storage) ?? 0) + 1);
    this.liveTensors.set(t.storage.backend, (this.liveTensors.get(t.storage.backend) ?? 0) + 1);
    const depth = this.scopeStarts.length;
    if (depth > 0) {
      t.scopeId = this.scopeSerials[depth - 1];
      if (this.tracked.length >= this.compactAt) this.compact();
      this.tracked.push(t);
    } else this.escape(t);
  }

  /**
   * t left every scope: the user owns it, and may forget it. Registering with the FinalizationRegistry costs
   * microseconds, so escapes are batched and only tensors still undisposed at the flush are registered: a
   * dispose()-as-you-go loop registers nothing; a forgotten tensor is registered within ESCAPE_BATCH escapes
   * (or at the next memory()).
   */
  private escape(t: Tracked): void {
    if (this.escaped.push(t) >= ESCAPE_BATCH) this.flushEscaped();
  }

  private flushEscaped(): void {
    for (const t of this.escaped) if (!t.isDisposed && !t.kept && !t.cell.freed) this.registry.register(t, t.cell);
    this.escaped.length = 0;
  }

  /** Called by Tensor.dispose: frees the tensor now unless a recorded graph still needs it (then when it lets go). */
  untrack(t: Tracked): void {
    if (t.graphRefs === 0) this.free(t);
  }

  /**
   * Releases t's storage reference and its op's grip on the op's inputs; inputs that were disposed and no longer
   * needed by any graph are freed in turn (a worklist, not recursion: long chains are fine).
   */
  private free(first: Tracked): void {
    const work: Tracked[] = [first];
    while (work.length > 0) {
      const t = work.pop()!;
      const cell = t.cell;
      if (cell.freed) continue;
      // The tape node stays: a later pass that reaches it reports "already freed" instead of missing the path.
      this.releaseStorage(cell);
      const grip = cell.grip;
      cell.grip = null;
      if (grip && --grip.holders <= 0) this.releaseGrip(grip, work);
    }
  }

  private releaseStorage(cell: TensorCell): void {
    cell.freed = true;
    const s = cell.storage;
    this.liveTensors.set(s.backend, (this.liveTensors.get(s.backend) ?? 1) - 1);
    const refs = (this.storageRefs.get(s) ?? 1) - 1;
    if (refs > 0) this.storageRefs.set(s, refs);
    else {
      this.storageRefs.delete(s);
      this.backendOf(s).dispose(s);
    }
  }

  private releaseGrip(grip: Grip, work: Tracked[]): void {
    if (grip.released) return;
    grip.released = true;
    for (const r of grip.refs) {
      if (--r.graphRefs === 0 && r.isDisposed && !r.cell.freed) work.push(r);
    }
  }

  /** Makes a new grip of a recorded op on the tensors its backward reads. */
  grip(refs: readonly Tracked[], holders: number): Grip {
    for (const r of refs) r.graphRefs++;
    return { refs, holders, released: false };
  }

  /** Backward consumed the op: its saved tensors may go (at the end of the pass). */
  releaseConsumed(grip: Grip): void {
    if (this.backwardDepth > 0) this.pendingGrips.push(grip);
    else {
      const work: Tracked[] = [];
      this.releaseGrip(grip, work);
      if (work.length) this.freeAll(work);
    }
  }

  private freeAll(ts: Tracked[]): void {
    for (const t of ts) this.free(t);
  }

  beginBackward(): void {
    this.backwardDepth++;
  }

  endBackward(): void {
    if (--this.backwardDepth > 0) return;
    const work: Tracked[] = [];
    for (const g of this.pendingGrips.splice(0)) this.releaseGrip(g, work);
    this.freeAll(work);
  }

  /** The garbage collector took a tensor that was never freed: return its storage (once) and count it. */
  private reclaim(cell: TensorCell): void {
    if (cell.freed) return;
    this.reclaimedCount++;
    try {
      this.releaseStorage(cell);
    } catch {
      /* the backend is gone (process teardown): nothing to return */
    }
    const grip = cell.grip;
    cell.grip = null;
    if (grip && --grip.holders <= 0) {
      const work: Tracked[] = [];
      this.releaseGrip(grip, work);
      this.freeAll(work);
    }
  }

  keep(t: Tracked): void {
    t.kept = true;
    t.scopeId = 0;
  }

  /** Opens a scope: tensors made until the matching endScope belong to it. Returns its depth, for endScope's check. */
  startScope(): number {
    this.scopeStarts.push(this.tracked.length);
    this.scopeSerials.push(this.nextSerial++);
    return this.scopeStarts.length;
  }

  /** True when t was created in the innermost open scope (and is neither kept nor disposed). */
  inCurrentScope(t: Tracked): boolean {
    const depth = this.scopeSerials.length;
    return depth > 0 && t.scopeId === this.scopeSerials[depth - 1] && !t.kept && !t.isDisposed;
  }

  /** A fresh mark: tag survivors with it (t.mark = m) before endScope(depth, m). */
  newMark(): number {
    return this.nextMark++;
  }

  /**
   * Closes the innermost scope: disposes every tensor made in it except kept ones and those whose mark is
   * `survivorMark`, which move to the parent scope (or leave scope tracking at the top level).
   */
  endScope(depth: number, survivorMark = 0): void {
    if (this.scopeStarts.length !== depth)
      throw new Error(
        `mtgrad: scopes closed out of order (closing depth ${depth}, innermost is ${this.scopeStarts.length})`,
      );
    const start = this.scopeStarts.pop()!;
    this.scopeSerials.pop();
    const parentSerial = depth > 1 ? this.scopeSerials[depth - 2] : 0;
    const list = this.tracked;
    const end = list.length;
    let w = start;
    for (let i = start; i < end; i++) {
      const t = list[i];
      if (t.kept || t.isDisposed) continue;
      if (t.mark === survivorMark && survivorMark !== 0) {
        if (parentSerial !== 0) {
          t.scopeId = parentSerial;
          list[w++] = t;
        } else {
          t.scopeId = 0;
          this.escape(t);
        }
      } else t.dispose();
    }
    list.length = w;
  }

  /** Drops disposed and kept entries from the tracked list, keeping each open scope's start in place. */
  private compact(): void {
    const list = this.tracked;
    const starts = this.scopeStarts;
    let w = 0,
      k = 0;
    for (let i = 0; i < list.length; i++) {
      while (k < starts.length && starts[k] === i) starts[k++] = w;
      const t = list[i];
      if (!t.kept && !t.isDisposed) list[w++] = t;
    }
    while (k < starts.length) starts[k++] = w;
    list.length = w;
    this.compactAt = Math.max(COMPACT_MIN, 2 * w);
  }

  memory(): MemoryInfo {
    this.flushEscaped();
    const byBackend: MemoryInfo['byBackend'] = {};
    let bytes = 0;
    let tensors = 0;
    for (const [name, b] of this.backends)
      byBackend[name] = { tensors: this.liveTensors.get(name) ?? 0, bytes: 0, backend: b.memory() };
    for (const s of this.storageRefs.keys()) {
      const n = s.size * bytesPerElement(s.dtype);
      bytes += n;
      const entry = byBackend[s.backend];
      if (entry) entry.bytes += n;
    }
    for (const n of this.liveTensors.values()) tensors += n;
    return { tensors, bytes, reclaimed: this.reclaimedCount, byBackend };
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
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`manualSeed: seed must be a non-negative safe integer, got ${seed}`);
  engine.seedLo = seed % 4294967296;
  engine.seedHi = Math.floor(seed / 4294967296);
  engine.randomOffset = 0;
}

export function memory(): MemoryInfo {
  return engine.memory();
}
