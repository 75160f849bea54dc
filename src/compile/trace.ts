/**
 * Recording one eager call of a step function at the kernel interface: every Backend call that computes something
 * (forward, backward and optimizer updates alike) is logged with its arguments, where each storage argument is
 * named by where it came from — the k-th input, a storage produced by an earlier call of the same run (a
 * temporary), or one that existed before the run (a parameter, an optimizer moment: "external"). The engine's
 * backends are swapped for recording proxies only while the function runs (the seam: engine.backends).
 */
import { type Backend, KERNEL_NAMES, type Storage } from '../backends/kernels.js';
import { engine } from '../tensor/engine.js';

const NOT_RECORDED: ReadonlySet<string> = new Set(['read', 'readSync', 'dispose', 'memory', 'info', 'flush']);

/** Kernels that compute (recorded); storage reads are host reads; dispose/memory/info/flush pass through. */
export const RECORDED_KERNELS: ReadonlySet<string> = new Set(KERNEL_NAMES.filter((k) => !NOT_RECORDED.has(k)));

export type Ref =
  | { readonly ref: 'in'; readonly index: number }
  | { readonly ref: 'tmp'; readonly id: number }
  | { readonly ref: 'ext'; readonly storage: Storage };

export function isRef(v: unknown): v is Ref {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === RefProto;
}
const RefProto = {};
export function makeRef(r: Ref): Ref {
  return Object.assign(Object.create(RefProto) as object, r) as Ref;
}

export interface TracedCall {
  readonly backend: string;
  readonly method: string;
  /** Deep copies of the arguments with every storage replaced by a Ref (typed arrays copied). */
  readonly args: unknown[];
  /** Temporaries produced, in result order; resultKeys names them when the kernel returns an object. */
  readonly results: number[];
  readonly resultKeys: readonly string[] | null;
  /** Sizes and dtypes of the produced storages (for the memory plan). */
  readonly resultInfo: readonly { size: number; dtype: Storage['dtype'] }[];
}

export interface Trace {
  readonly calls: TracedCall[];
  /** Every storage produced in this run (to spot a later run reading one: state carried between calls). */
  readonly produced: Set<Storage>;
  hostRead: { afterCall: number; method: string } | null;
  randomBefore: number;
  randomAfter: number;
}

function isStorage(v: object): v is Storage {
  const proto = Object.getPrototypeOf(v) as unknown;
  return (
    proto !== Object.prototype &&
    proto !== null &&
    !Array.isArray(v) &&
    !ArrayBuffer.isView(v) &&
    typeof (v as Storage).backend === 'string' &&
    typeof (v as Storage).dtype === 'string'
  );
}

/** Collects one run's calls; the proxies report to it. */
export class Recorder {
  readonly trace: Trace;
  private readonly refs = new Map<Storage, Ref>();
  private nextTmp = 0;

  constructor(inputs: readonly Storage[]) {
    inputs.forEach((s, index) => {
      if (!this.refs.has(s)) this.refs.set(s, makeRef({ ref: 'in', index }));
    });
    this.trace = { calls: [], produced: new Set(), hostRead: null, randomBefore: engine.randomOffset, randomAfter: 0 };
  }

  refOf(s: Storage): Ref {
    let r = this.refs.get(s);
    if (!r) {
      r = makeRef({ ref: 'ext', storage: s });
      this.refs.set(s, r);
    }
    return r;
  }

  private copy(v: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v;
    if (ArrayBuffer.isView(v)) return (v as ArrayBufferView & { slice(): unknown }).slice();
    if (Array.isArray(v)) return v.map((x) => this.copy(x));
    if (isStorage(v)) return this.refOf(v);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = this.copy(x);
    return out;
  }

  call(backend: string, method: string, args: unknown[], result: unknown): void {
    const copied = args.map((a) => this.copy(a));
    const produced: Storage[] = [];
    let resultKeys: string[] | null = null;
    if (result !== undefined) {
      if (typeof result === 'object' && result !== null && !isStorage(result)) {
        resultKeys = Object.keys(result);
        for (const k of resultKeys) produced.push((result as Record<string, Storage>)[k]!);
      } else produced.push(result as Storage);
    }
    const results = produced.map((s) => {
      const id = this.nextTmp++;
      this.refs.set(s, makeRef({ ref: 'tmp', id }));
      this.trace.produced.add(s);
      return id;
    });
    this.trace.calls.push({
      backend,
      method,
      args: copied,
      results,
      resultKeys,
      resultInfo: produced.map((s) => ({ size: s.size, dtype: s.dtype })),
    });
  }

  hostRead(method: string): void {
    if (!this.trace.hostRead) this.trace.hostRead = { afterCall: this.trace.calls.length, method };
  }
}

function recordingProxy(target: Backend, rec: Recorder): Backend {
  return new Proxy(target, {
    get(t, prop) {
      const v = Reflect.get(t, prop, t) as unknown;
      if (typeof v !== 'function') return v;
      const f = v as (...a: unknown[]) => unknown;
      if (prop === 'read' || prop === 'readSync')
        return (...a: unknown[]) => {
          rec.hostRead(prop);
          return f.apply(t, a);
        };
      // A borrow inside a capture is recorded as the upload it is to the plan: a replay must not read the
      // caller's array of the capturing call (the plan copies uploads, as it does constants).
      if (prop === 'borrow')
        return (...a: unknown[]) => {
          const r = t.upload(...(a as Parameters<Backend['upload']>));
          rec.call(t.name, 'upload', a, r);
          return r;
        };
      if (typeof prop === 'string' && RECORDED_KERNELS.has(prop)) {
        return (...a: unknown[]) => {
          const r = f.apply(t, a);
          rec.call(t.name, prop, a, r);
          return r;
        };
      }
      return f.bind(t);
    },
  });
}

/** Runs fn with every registered backend behind a recording proxy; restores them whatever happens. */
export function recordRun<R>(inputs: readonly Storage[], fn: () => R): { result: R; trace: Trace; recorder: Recorder } {
  const rec = new Recorder(inputs);
  const saved = [...engine.backends];
  for (const [name, b] of saved) engine.backends.set(name, recordingProxy(b, rec));
  try {
    const result = fn();
    rec.trace.randomAfter = engine.randomOffset;
    return { result, trace: rec.trace, recorder: rec };
  } finally {
    for (const [name, b] of saved) engine.backends.set(name, b);
  }
}

/** "matmul(tmp#3, ext, {m: 8, ...})" for error messages. */
export function describeCall(c: TracedCall): string {
  const show = (v: unknown): string => {
    if (isRef(v))
      return v.ref === 'in'
        ? `input#${v.index}`
        : v.ref === 'tmp'
          ? `tmp#${v.id}`
          : `ext(${v.storage.dtype}[${v.storage.size}])`;
    if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as ArrayBufferView & { length: number }).length})`;
    if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
    if (typeof v === 'object' && v !== null)
      return `{${Object.entries(v)
        .map(([k, x]) => `${k}: ${show(x)}`)
        .join(', ')}}`;
    return String(v);
  };
  return `${c.method}(${c.args.map(show).join(', ')})`;
}
