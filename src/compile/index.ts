/**
 * mt.compile(fn): capture and replay of a step function (as CUDA Graphs, torch.compile's "reduce-overhead" mode,
 * tinygrad's TinyJit). Per input-shape signature: the first call runs eagerly (warm-up: lazily created state such as
 * optimizer moments), the next three run eagerly while recording every kernel call, and the program built from
 * them (see plan.ts) is replayed from then on — the kernel sequence only, no per-op JavaScript. On the native
 * backend the whole program runs in one addon call when every kernel in it is supported (native-plan.ts).
 *
 * What a replay does NOT do: update JavaScript-side state that the function changes (an optimizer's step counter,
 * `param.grad` tensors); in-place updates of pre-existing storages (parameters, optimizer moments) and the returned
 * tensors are what it produces. Numbers that change by a constant step per call (Adam's step, random offsets) are
 * extrapolated; the engine's random offset advances as in eager mode.
 */
import type { Storage } from '../backends/kernels.js';
import { engine } from '../tensor/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { buildProgram, CaptureError, type OutputSpec, type Program } from './plan.js';
import { replayProgram } from './replay.js';
import { recordRun, type Recorder, type Trace } from './trace.js';
import { plannerFor, type PlanHandle, type WebGpuPlanHandle } from './plan-hooks.js';

export { CaptureError } from './plan.js';

/** What a compiled function may return: one tensor, an array of tensors, or a record of tensors. */
export type CompiledOutput = Tensor | readonly Tensor[] | Readonly<Record<string, Tensor>>;

export interface CompileOptions {
  /** On a function a capture cannot hold: 'error' (default) throws a CaptureError naming the cause; 'eager' runs it eagerly. */
  fallback?: 'error' | 'eager';
  /** Name used in error messages (default: fn.name). */
  name?: string;
  /** Use the native backend's one-call executor where the program allows (default true). */
  nativePlan?: boolean;
  /** Replay on WebGPU through prepared commands, one pass and one submit, where the program allows (default true). */
  webgpuPlan?: boolean;
  /**
   * Called after each replay, for JavaScript-side bookkeeping a replay skips, e.g. `() => opt.advanceSteps(1)` so
   * that an optimizer's step count stays right for later eager steps or checkpoints.
   */
  afterReplay?: () => void;
  /**
   * At most this many input signatures are kept (default 16); the least recently used one is dropped beyond it
   * (its plan freed), so that a caller feeding ever new shapes (request sizes) does not grow memory without bound.
   */
  maxSignatures?: number;
}

export interface CompileStats {
  eagerCalls: number;
  capturedCalls: number;
  replays: number;
  nativeReplays: number;
  signatures: number;
  fallbacks: string[];
  /** Why a program on the native backend replays kernel by kernel instead of in one addon call. */
  nativeRefusals: string[];
  /** Replays run as one prepared WebGPU submission (webgpu-plan.ts). */
  webgpuReplays: number;
  /** Why a program on the webgpu backend replays kernel by kernel instead of through prepared commands. */
  webgpuRefusals: string[];
  /** Per live WebGPU plan: the dispatches each replay encodes and the compute passes they take. */
  webgpuPlans: { dispatches: number; passes: number }[];
  /**
   * Bytes held by the native one-call plans now alive (arenas for temporaries plus constants), and by the WebGPU
   * plans (their buffers; the webgpu backend's memory() counts these as live buffers). They are not tensors, so
   * memory().bytes does not count them; compiled.dispose() (or model.dispose() for a model's compiled predict)
   * frees them.
   */
  planBytes: number;
}

export interface CompiledFunction<A extends Tensor[], R extends CompiledOutput> {
  (...inputs: A): R;
  stats(): CompileStats;
  /** Frees what the native plans hold (their arenas and constants). */
  dispose(): void;
}

const TRACED_RUNS = 3;

/**
 * Calls of compiled functions now recording. A compiled function called inside another one's traced run (a
 * compiled model.predict inside a user's mt.compile) runs its body eagerly, so the outer trace sees its kernels.
 */
let recording = 0;

interface Entry {
  calls: number;
  traces: Trace[];
  outputs: OutputSpec[][];
  program: Program | null;
  native: PlanHandle | null;
  gpu: WebGpuPlanHandle | null;
  replays: number;
  eager: string | null;
  structure: Structure | null;
}

type Structure = { kind: 'one' } | { kind: 'array'; n: number } | { kind: 'record'; keys: string[] };

function flatten(name: string, r: unknown): { tensors: Tensor[]; structure: Structure } {
  if (r instanceof Tensor) return { tensors: [r], structure: { kind: 'one' } };
  if (Array.isArray(r) && r.every((t) => t instanceof Tensor))
    return { tensors: [...r] as Tensor[], structure: { kind: 'array', n: r.length } };
  if (typeof r === 'object' && r !== null && Object.values(r).every((t) => t instanceof Tensor)) {
    const keys = Object.keys(r);
    return { tensors: keys.map((k) => (r as Record<string, Tensor>)[k]!), structure: { kind: 'record', keys } };
  }
  throw new Error(`compile(${name}): the function must return a Tensor, an array of Tensors or a record of Tensors`);
}

function unflatten(s: Structure, ts: Tensor[]): CompiledOutput {
  if (s.kind === 'one') return ts[0]!;
  if (s.kind === 'array') return ts;
  return Object.fromEntries(s.keys.map((k, i) => [k, ts[i]!]));
}

/** Grad mode, each input's backend, dtype and shape, and which inputs share a storage (a program binds storages). */
function signature(inputs: readonly Tensor[]): string {
  const alias = (t: Tensor, i: number) => {
    const j = inputs.findIndex((u) => u.storage === t.storage);
    return j < i ? `=${j}` : '';
  };
  return `${engine.gradEnabled ? 'g' : 'n'}|${inputs.map((t, i) => `${t.backendName}:${t.dtype}${fmt(t.shape)}${alias(t, i)}`).join('|')}`;
}

export function compile<A extends Tensor[], R extends CompiledOutput>(
  fn: (...inputs: A) => R,
  opts: CompileOptions = {},
): CompiledFunction<A, R> {
  const name = opts.name ?? (fn.name || 'fn');
  const fallback = opts.fallback ?? 'error';
  if (fallback !== 'error' && fallback !== 'eager')
    throw new Error(`compile(${name}): fallback must be 'error' or 'eager', got ${String(fallback)}`);
  const entries = new Map<string, Entry>();
  const stats: CompileStats = {
    eagerCalls: 0,
    capturedCalls: 0,
    replays: 0,
    nativeReplays: 0,
    signatures: 0,
    fallbacks: [],
    nativeRefusals: [],
    webgpuReplays: 0,
    webgpuRefusals: [],
    webgpuPlans: [],
    planBytes: 0,
  };
  const maxSignatures = opts.maxSignatures ?? 16;
  if (!Number.isInteger(maxSignatures) || maxSignatures < 1)
    throw new Error(`compile(${name}): maxSignatures must be a positive integer, got ${maxSignatures}`);

  const giveUp = (e: Entry, why: string, outs: Tensor[]): void => {
    if (fallback === 'eager') {
      e.eager = why;
      stats.fallbacks.push(why);
      return;
    }
    for (const t of outs) t.dispose();
    entries.delete([...entries].find(([, x]) => x === e)![0]);
    throw new CaptureError(why);
  };

  const compiled = (...inputs: A): R => {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor))
        throw new Error(`compile(${name}): argument ${i} must be a Tensor (compiled functions take tensors only)`);
      t.assertLive(`compile(${name})`);
    });
    if (recording > 0) return fn(...inputs);
    const key = signature(inputs);
    let e = entries.get(key);
    if (!e) {
      e = {
        calls: 0,
        traces: [],
        outputs: [],
        program: null,
        native: null,
        gpu: null,
        replays: 0,
        eager: null,
        structure: null,
      };
      entries.set(key, e);
      stats.signatures++;
      if (entries.size > maxSignatures) {
        const [oldKey, old] = entries.entries().next().value as [string, Entry];
        old.native?.dispose();
        old.gpu?.dispose();
        entries.delete(oldKey);
      }
    } else if (entries.size > 1) {
      // Most recently used last (the eviction order).
      entries.delete(key);
      entries.set(key, e);
    }
    const storages: Storage[] = inputs.map((t) => t.storage);
    if (e.program && !e.eager) {
      e.replays++;
      stats.replays++;
      let outs: Storage[];
      if (e.native) {
        outs = e.native.run(storages, e.replays);
        stats.nativeReplays++;
      } else if (e.gpu) {
        outs = e.gpu.run(storages, e.replays);
        stats.webgpuReplays++;
      } else outs = replayProgram(e.program, engine.backends, storages, e.replays);
      opts.afterReplay?.();
      return unflatten(
        e.structure!,
        outs.map((s, i) => new Tensor(s, e!.program!.outputs[i]!.shape)),
      ) as R;
    }
    e.calls++;
    if (e.eager || e.calls === 1) {
      stats.eagerCalls++;
      const r = fn(...inputs);
      if (!e.eager) flatten(name, r); // the same check as the traced calls make, from the first call on
      return r;
    }
    // A traced run: eager, with every kernel call recorded.
    stats.capturedCalls++;
    let recorder!: Recorder;
    const { result, trace } = ((): { result: R; trace: Trace } => {
      recording++;
      let r: { result: R; trace: Trace; recorder: Recorder };
      try {
        r = recordRun(storages, () => fn(...inputs));
      } finally {
        recording--;
      }
      recorder = r.recorder;
      return r;
    })();
    const { tensors, structure } = flatten(name, result);
    if (trace.hostRead) {
      const after = trace.calls[trace.hostRead.afterCall - 1];
      giveUp(
        e,
        `compile(${name}): a host read (${trace.hostRead.method}: dataSync()/data()/item()/array()) after kernel #${trace.hostRead.afterCall - 1}` +
          `${after ? ` (${after.method})` : ''} inside the function: a capture cannot hold a value the host reads in the middle; read the outputs after the call, or compile with { fallback: 'eager' }`,
        tensors,
      );
      return result;
    }
    e.structure = structure;
    e.traces.push(trace);
    e.outputs.push(tensors.map((t) => ({ ref: recorder.refOf(t.storage), shape: t.shape })));
    if (e.traces.length === TRACED_RUNS) {
      try {
        e.program = buildProgram(name, e.traces, e.outputs);
        if (opts.nativePlan !== false) {
          const planner = plannerFor('native');
          e.native = planner?.planFor(e.program, engine.backends, storages) ?? null;
          if (!e.native && engine.backends.has('native') && storages.some((s) => s.backend === 'native'))
            stats.nativeRefusals.push(
              planner ? (planner.lastRefusal() ?? 'unknown') : 'the native plan executor is not loaded',
            );
        }
        if (!e.native && opts.webgpuPlan !== false && storages.some((s) => s.backend === 'webgpu')) {
          const planner = plannerFor('webgpu');
          e.gpu = planner?.planFor(e.program, engine.backends, storages) ?? null;
          if (!e.gpu)
            stats.webgpuRefusals.push(
              planner ? (planner.lastRefusal() ?? 'unknown') : 'the WebGPU plan executor is not loaded',
            );
        }
      } catch (err) {
        e.traces = [];
        e.outputs = [];
        if (!(err instanceof CaptureError)) throw err;
        giveUp(e, err.message, tensors);
      }
      e.traces = [];
      e.outputs = [];
    }
    return result;
  };
  const out = compiled as CompiledFunction<A, R>;
  out.stats = () => ({
    ...stats,
    fallbacks: [...stats.fallbacks],
    nativeRefusals: [...stats.nativeRefusals],
    webgpuRefusals: [...stats.webgpuRefusals],
    webgpuPlans: [...entries.values()].flatMap((e) =>
      e.gpu ? [{ dispatches: e.gpu.dispatches, passes: e.gpu.passes }] : [],
    ),
    planBytes: [...entries.values()].reduce((n, e) => n + (e.native?.bytes ?? 0) + (e.gpu?.bytes ?? 0), 0),
  });
  out.dispose = () => {
    for (const e of entries.values()) {
      e.native?.dispose();
      e.gpu?.dispose();
    }
    entries.clear();
  };
  return out;
}
