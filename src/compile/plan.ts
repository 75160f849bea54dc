/**
 * From three recorded runs of a step function to one replayable program. The runs must issue the same kernel
 * sequence with the same dataflow (else: a data-dependent branch) and read no storage produced by the run before
 * (else: state carried between calls through JavaScript, which a capture cannot hold). A number that differs
 * between the runs must change by the same amount each call (an optimizer's step count, a random-stream offset):
 * it is extrapolated at replay; any other change (a learning-rate schedule, a host-computed scalar) is an error.
 * Buffer lifetimes are computed here: each temporary is released after its last reader.
 */
import type { Storage } from '../backends/kernels.js';
import { describeCall, isRef, type Ref, type Trace, type TracedCall } from './trace.js';

export class CaptureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaptureError';
  }
}

/** Where a replayed argument value comes from. */
export type Patch =
  | { readonly obj: object; readonly key: string | number; readonly kind: 'in'; readonly index: number }
  | { readonly obj: object; readonly key: string | number; readonly kind: 'tmp'; readonly id: number }
  | {
      readonly obj: object;
      readonly key: string | number;
      readonly kind: 'dyn';
      readonly base: number;
      readonly delta: number;
      /**
       * Set for a random-stream offset: the value is the engine's offset at the start of the call plus this, so
       * eager calls (or other random ops) between replays never make a replay reuse part of the stream.
       */
      readonly random?: number;
    };

export interface Instruction {
  readonly backend: string;
  readonly method: string;
  /** The last run's arguments with external storages in place; patched in place before each replay. */
  readonly args: unknown[];
  readonly patches: readonly Patch[];
  readonly results: readonly number[];
  readonly resultKeys: readonly string[] | null;
  /** Temporaries whose last reader (or producer, if never read) this is and that are not outputs. */
  readonly frees: readonly number[];
  readonly traced: TracedCall;
}

export interface OutputSpec {
  readonly ref: Ref;
  readonly shape: readonly number[];
}

export interface Program {
  readonly instructions: readonly Instruction[];
  readonly tmpCount: number;
  readonly tmpInfo: readonly { size: number; dtype: Storage['dtype'] }[];
  readonly outputs: readonly OutputSpec[];
  /** How far the engine's random-stream offset advances per call. */
  readonly randomAdvance: number;
}

function sameNumberSequence(vals: readonly number[]): { delta: number } | null {
  const delta = vals[1]! - vals[0]!;
  for (let i = 2; i < vals.length; i++) if (vals[i]! - vals[i - 1]! !== delta) return null;
  return { delta };
}

/**
 * Walks the runs' copies of one argument in lockstep; returns the template value (the last run's) and adds the
 * patches. `where` names the spot for error messages.
 */
function merge(
  vals: readonly unknown[],
  runs: readonly Trace[],
  patches: Patch[],
  obj: object,
  key: string | number,
  where: () => string,
): void {
  const set = (v: unknown) => {
    Reflect.set(obj, key, v);
  };
  const last = vals[vals.length - 1];
  if (isRef(last)) {
    for (let r = 0; r < vals.length; r++) {
      const v = vals[r];
      if (!isRef(v) || v.ref !== last.ref)
        throw new CaptureError(`${where()}: a storage argument comes from different places in different calls`);
      if (v.ref === 'ext' && last.ref === 'ext' && v.storage !== last.storage) {
        const carried = r > 0 && runs[r - 1]!.produced.has(v.storage);
        throw new CaptureError(
          carried
            ? `${where()}: reads a storage that the previous call produced (state carried between calls in JavaScript, e.g. a tensor replaced each step such as amsgrad's max_exp_avg_sq); a capture cannot hold it — keep such state in place or run eagerly`
            : `${where()}: reads a different pre-existing storage in different calls (a tensor swapped between calls)`,
        );
      }
      if (
        (v.ref === 'in' && last.ref === 'in' && v.index !== last.index) ||
        (v.ref === 'tmp' && last.ref === 'tmp' && v.id !== last.id)
      ) {
        throw new CaptureError(`${where()}: the dataflow differs between calls (a data-dependent branch?)`);
      }
    }
    if (last.ref === 'ext') {
      for (let r = 0; r < runs.length - 1; r++) {
        if (runs[r]!.produced.has(last.storage)) {
          throw new CaptureError(
            `${where()}: reads a storage that the previous call produced (state carried between calls in JavaScript); a capture cannot hold it`,
          );
        }
      }
      set(last.storage);
    } else if (last.ref === 'in') patches.push({ obj, key, kind: 'in', index: last.index });
    else patches.push({ obj, key, kind: 'tmp', id: last.id });
    return;
  }
  if (typeof last === 'number') {
    if (vals.some((v) => typeof v !== 'number'))
      throw new CaptureError(`${where()}: argument type differs between calls`);
    const nums = vals as number[];
    if (nums.every((v) => Object.is(v, last))) {
      set(last);
      return;
    }
    const lin = sameNumberSequence(nums);
    if (!lin || !Number.isFinite(lin.delta)) {
      throw new CaptureError(
        `${where()}: the value changes between calls but not by a constant step (${nums.join(', ')}): a learning-rate schedule or a host-computed scalar? Pass it as an input tensor, or run eagerly`,
      );
    }
    set(last);
    const rel = nums.map((v, r) => v - runs[r]!.randomBefore);
    const random =
      key === 'offset' && runs[0]!.randomAfter > runs[0]!.randomBefore && rel.every((v) => v === rel[0])
        ? rel[0]
        : undefined;
    patches.push({ obj, key, kind: 'dyn', base: last, delta: lin.delta, ...(random !== undefined ? { random } : {}) });
    return;
  }
  if (ArrayBuffer.isView(last)) {
    const a = last as ArrayBufferView & ArrayLike<number>;
    for (const v of vals) {
      const b = v as ArrayLike<number>;
      if (!ArrayBuffer.isView(v) || b.length !== a.length)
        throw new CaptureError(`${where()}: uploaded data differs between calls`);
      for (let i = 0; i < a.length; i++) {
        if (!Object.is(a[i], b[i]))
          throw new CaptureError(
            `${where()}: uploads data computed on the host that differs between calls (element ${i}: ${b[i]} vs ${a[i]}); pass it as an input tensor`,
          );
      }
    }
    set(last);
    return;
  }
  if (Array.isArray(last)) {
    const copy: unknown[] = [];
    for (const v of vals)
      if (!Array.isArray(v) || v.length !== last.length)
        throw new CaptureError(`${where()}: an array argument differs in length between calls`);
    for (let i = 0; i < last.length; i++)
      merge(
        vals.map((v) => (v as unknown[])[i]),
        runs,
        patches,
        copy,
        i,
        where,
      );
    set(copy);
    return;
  }
  if (typeof last === 'object' && last !== null) {
    const keys = Object.keys(last);
    const copy: Record<string, unknown> = {};
    for (const v of vals) {
      if (typeof v !== 'object' || v === null || Object.keys(v).join() !== keys.join())
        throw new CaptureError(`${where()}: an options argument differs between calls`);
    }
    for (const k of keys)
      merge(
        vals.map((v) => (v as Record<string, unknown>)[k]),
        runs,
        patches,
        copy,
        k,
        where,
      );
    set(copy);
    return;
  }
  if (vals.some((v) => v !== last))
    throw new CaptureError(`${where()}: argument ${String(last)} differs between calls`);
  set(last);
}

/** Builds the program from runs recorded with the same input shapes (at least two; three to check extrapolation). */
export function buildProgram(
  name: string,
  runs: readonly Trace[],
  outputs: readonly (readonly OutputSpec[])[],
): Program {
  const last = runs[runs.length - 1]!;
  for (const run of runs) {
    if (run.calls.length !== last.calls.length) {
      const i = firstDifference(run, last);
      throw new CaptureError(
        `compile(${name}): the kernel sequence differs between calls with the same input shapes at kernel #${i}: ` +
          `${run.calls[i] ? describeCall(run.calls[i]!) : '(end)'} vs ${last.calls[i] ? describeCall(last.calls[i]!) : '(end)'} (a data-dependent branch?)`,
      );
    }
  }
  const randomDeltas = runs.map((r) => r.randomAfter - r.randomBefore);
  if (randomDeltas.some((d) => d !== randomDeltas[0]))
    throw new CaptureError(
      `compile(${name}): the random stream advances by different amounts per call (${randomDeltas.join(', ')})`,
    );

  const instructions: Instruction[] = [];
  for (let i = 0; i < last.calls.length; i++) {
    const c = last.calls[i]!;
    const where = () => `compile(${name}): kernel #${i} ${describeCall(c)}`;
    for (const run of runs) {
      const o = run.calls[i]!;
      if (
        o.method !== c.method ||
        o.backend !== c.backend ||
        o.args.length !== c.args.length ||
        o.results.length !== c.results.length
      ) {
        throw new CaptureError(
          `compile(${name}): the kernel sequence differs between calls with the same input shapes at kernel #${i}: ${describeCall(o)} vs ${describeCall(c)} (a data-dependent branch?)`,
        );
      }
    }
    const holder: unknown[] = [];
    const patches: Patch[] = [];
    for (let a = 0; a < c.args.length; a++)
      merge(
        runs.map((r) => r.calls[i]!.args[a]),
        runs,
        patches,
        holder,
        a,
        where,
      );
    instructions.push({
      backend: c.backend,
      method: c.method,
      args: holder,
      patches,
      results: c.results,
      resultKeys: c.resultKeys,
      frees: [],
      traced: c,
    });
  }
  for (let o = 0; o < outputs[0]!.length; o++) {
    const refs = outputs.map((os) => os[o]!.ref);
    const l = refs[refs.length - 1]!;
    if (
      refs.some(
        (r) =>
          r.ref !== l.ref ||
          (r.ref === 'tmp' && l.ref === 'tmp' && r.id !== l.id) ||
          (r.ref === 'in' && l.ref === 'in' && r.index !== l.index),
      )
    ) {
      throw new CaptureError(`compile(${name}): output ${o} comes from different kernels in different calls`);
    }
  }
  const outs = outputs[outputs.length - 1]!;
  const tmpInfo: { size: number; dtype: Storage['dtype'] }[] = [];
  for (const c of last.calls)
    c.results.forEach((id, k) => {
      tmpInfo[id] = c.resultInfo[k]!;
    });
  // Lifetimes: the last instruction reading (or producing) each temporary frees it, unless it is an output.
  const lastUse = new Int32Array(tmpInfo.length).fill(-1);
  instructions.forEach((ins, i) => {
    for (const id of ins.results) lastUse[id] = i;
    for (const p of ins.patches) if (p.kind === 'tmp') lastUse[p.id] = i;
  });
  const isOutput = new Set(outs.flatMap((o) => (o.ref.ref === 'tmp' ? [o.ref.id] : [])));
  const frees: number[][] = instructions.map(() => []);
  lastUse.forEach((i, id) => {
    if (i >= 0 && !isOutput.has(id)) frees[i]!.push(id);
  });
  return {
    instructions: instructions.map((ins, i) => ({ ...ins, frees: frees[i]! })),
    tmpCount: tmpInfo.length,
    tmpInfo,
    outputs: outs,
    randomAdvance: randomDeltas[0]!,
  };
}

function firstDifference(a: Trace, b: Trace): number {
  const n = Math.min(a.calls.length, b.calls.length);
  for (let i = 0; i < n; i++) if (a.calls[i]!.method !== b.calls[i]!.method) return i;
  return n;
}
