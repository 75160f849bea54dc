/**
 * The WebGPU backend's executor for a captured program (the counterpart of native-plan.ts): the program is lowered
 * ONCE, at capture, to a list of prepared commands — pipeline, bind group, uniform slot, workgroup counts — over a
 * fixed set of GPU buffers (backends/webgpu/prepared.ts): a slot per input, temporaries in buffers the plan owns
 * and reuses by lifetime, uploaded constants pinned, and the external storages (parameters, optimizer moments).
 * A replay copies the inputs into their slots, encodes every prepared dispatch in one compute pass, copies the
 * outputs into fresh storages and submits once: no parameter packing, pipeline lookup or bind-group creation per
 * kernel, no per-kernel JavaScript at all except for the few kernels whose uniforms change per call.
 *
 * How the lowering works: the program's kernels are run through the backend once with a capture session open on
 * its core — the backend's own code computes every uniform word and workgroup count, so a replay dispatches exactly
 * what eager mode would (bit-identical results). Numbers that change per call (Adam's step, random offsets: plan.ts
 * 'dyn' patches) are the exception: their kernel is re-run per replay in a capture session that hands it the same
 * buffers, and only its uniform words are taken.
 *
 * Anything else goes to the generic replay (replay.ts), with the reason in compile's stats: a kernel on another
 * backend, an input updated in place (its slot would take the update), the debug mode (which checks kernels one by
 * one), or a kernel the capture could not run.
 */
import type { Backend, Storage } from '../backends/kernels.js';
import { WebGpuBackend } from '../backends/webgpu/backend.js';
import type { WebGpuCore } from '../backends/webgpu/core.js';
import { CaptureSession, PreparedCommands, type PreparedCopy } from '../backends/webgpu/prepared.js';
import { GpuStorage } from '../backends/webgpu/storage.js';
import { engine } from '../tensor/engine.js';
import type { WebGpuPlanHandle } from './plan-hooks.js';
import type { Instruction, Patch, Program } from './plan.js';

/** Why the last program could not be prepared (for stats and tests), or null when it could. */
export let lastWebGpuPlanRefusal: string | null = null;

class Unsupported extends Error {}

/** Arguments the optimizer kernels update in place (an input there would be updated in its slot, not in place). */
const WRITTEN_ARGS: Readonly<Record<string, readonly number[]>> = {
  sgdUpdate: [0, 2],
  adamUpdate: [0, 2, 3],
  adagradUpdate: [0, 2],
};

type KernelFn = (...args: unknown[]) => unknown;

function dynValue(p: Extract<Patch, { kind: 'dyn' }>, n: number): number {
  return p.random !== undefined ? engine.randomOffset + p.random : p.base + p.delta * n;
}

function call(be: Backend, ins: Instruction): unknown {
  return (Reflect.get(be, ins.method) as KernelFn).apply(be, ins.args);
}

/** A kernel whose uniforms change per call: re-run at each replay with the arguments it had at capture. */
interface DynamicKernel {
  readonly ins: Instruction;
  /** Patch values at capture (storages as copies that outlive the capture's releases); 'dyn' ones are recomputed. */
  readonly values: readonly unknown[];
  readonly firstCommand: number;
  readonly commandCount: number;
  readonly allocations: readonly GpuStorage[];
  /** Index-error tags its last re-run pinned. */
  tags: number[];
}

/** Builds the prepared plan, or returns null (reason in lastWebGpuPlanRefusal) when the program needs the generic replay. */
export function webgpuPlanFor(
  program: Program,
  backends: ReadonlyMap<string, Backend>,
  inputs: readonly Storage[],
): WebGpuPlanHandle | null {
  lastWebGpuPlanRefusal = null;
  // The engine registers each backend behind the validating layer (backends/checked.ts); the plan needs the raw one.
  const registered = backends.get('webgpu');
  const raw = registered && 'inner' in registered ? registered.inner : registered;
  if (!registered || !(raw instanceof WebGpuBackend)) {
    lastWebGpuPlanRefusal = 'not on the webgpu backend';
    return null;
  }
  try {
    return new PreparedPlan(program, registered, raw, inputs);
  } catch (e) {
    if (e instanceof Unsupported) lastWebGpuPlanRefusal = e.message;
    else lastWebGpuPlanRefusal = `capturing the commands failed: ${(e as Error).message}`;
    return null;
  }
}

class PreparedPlan implements WebGpuPlanHandle {
  readonly bytes: number;
  /** Counts for tests and the bench: dispatches per replay and compute passes they take. */
  readonly dispatches: number;
  readonly passes: number;
  private readonly core: WebGpuCore;
  private readonly slots: GpuStorage[];
  private readonly session: CaptureSession;
  private readonly prepared: PreparedCommands;
  private readonly outputs: ({ buffer: GPUBuffer; dtype: Storage['dtype']; size: number } | null)[];
  private readonly externals: { storage: GpuStorage; buffer: GPUBuffer }[] = [];
  private readonly dynamic: DynamicKernel[] = [];
  private readonly tags: number[];
  private disposed = false;

  constructor(
    private readonly program: Program,
    checkedBackend: Backend,
    private readonly raw: WebGpuBackend,
    inputs: readonly Storage[],
  ) {
    const core = raw.core;
    this.core = core;
    if (core.checks.debug)
      throw new Unsupported('MTGRAD_WEBGPU_DEBUG is on (kernels are submitted and checked one by one)');
    const other = program.instructions.find((i) => i.backend !== 'webgpu');
    if (other) throw new Unsupported(`kernel ${other.method} runs on the ${other.backend} backend`);
    if (!inputs.every((s) => s instanceof GpuStorage)) throw new Unsupported('an input is not on the webgpu backend');
    for (const ins of program.instructions) {
      const written = WRITTEN_ARGS[ins.method];
      const p =
        written && ins.patches.find((q) => q.kind === 'in' && q.obj === ins.args && written.includes(Number(q.key)));
      if (p && p.kind === 'in')
        throw new Unsupported(
          `input ${p.index} is updated in place by ${ins.method} (a prepared program copies inputs)`,
        );
    }
    this.slots = inputs.map((s) => core.alloc(s.dtype, s.size) as GpuStorage);
    this.session = new CaptureSession(core.pool);
    try {
      const tmps: (Storage | undefined)[] = new Array(program.tmpCount);
      this.tags = core.capture(this.session, () => {
        for (const ins of program.instructions) this.lower(ins, checkedBackend, tmps);
      });
      this.outputs = program.outputs.map((o) => {
        if (o.ref.ref !== 'tmp') return null;
        const s = tmps[o.ref.id];
        if (!(s instanceof GpuStorage) || !s.buffer)
          throw new Unsupported(`output temporary ${o.ref.id} was not produced`);
        return { buffer: s.buffer, dtype: s.dtype, size: s.size };
      });
      this.prepared = new PreparedCommands(core.device, this.session.commands);
    } catch (e) {
      this.session.releaseAll();
      for (const s of this.slots) core.release(s);
      throw e;
    } finally {
      for (const ins of program.instructions)
        for (const p of ins.patches) if (p.kind !== 'dyn') Reflect.set(p.obj, p.key, null); // drop references
    }
    for (const ins of program.instructions) for (const a of ins.args) this.collectExternals(a);
    this.dispatches = this.prepared.dispatches;
    this.passes = this.prepared.passes;
    this.bytes = this.session.ownedBytes + this.slots.reduce((n, s) => n + s.bucket, 0) + this.prepared.uniformBytes;
  }

  /** Runs one kernel under the capture: its commands and allocations land in the session. */
  private lower(ins: Instruction, be: Backend, tmps: (Storage | undefined)[]): void {
    const firstCommand = this.session.commands.length;
    const firstAllocation = this.session.allocations.length;
    const values = ins.patches.map((p) =>
      p.kind === 'in' ? this.slots[p.index] : p.kind === 'tmp' ? tmps[p.id] : dynValue(p, 1),
    );
    ins.patches.forEach((p, k) => Reflect.set(p.obj, p.key, values[k]));
    const r = call(be, ins);
    if (ins.resultKeys)
      ins.resultKeys.forEach((k, i) => {
        tmps[ins.results[i]!] = (r as Record<string, Storage>)[k];
      });
    else if (ins.results.length === 1) tmps[ins.results[0]!] = r as Storage;
    if (ins.patches.some((p) => p.kind === 'dyn'))
      this.dynamic.push({
        ins,
        values: values.map((v) => (v instanceof GpuStorage ? new GpuStorage(v.dtype, v.size, v.buffer, v.bucket) : v)),
        firstCommand,
        commandCount: this.session.commands.length - firstCommand,
        allocations: this.session.allocations.slice(firstAllocation),
        tags: [],
      });
    for (const id of ins.frees) {
      be.dispose(tmps[id]!);
      tmps[id] = undefined;
    }
  }

  private collectExternals(v: unknown): void {
    if (v instanceof GpuStorage) {
      if (v.buffer && !this.externals.some((e) => e.storage === v))
        this.externals.push({ storage: v, buffer: v.buffer });
    } else if (Array.isArray(v)) for (const x of v) this.collectExternals(x);
    else if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v))
      for (const x of Object.values(v)) this.collectExternals(x);
  }

  /** Re-runs a kernel whose uniforms change per call and puts its new uniform words into its prepared slots. */
  private refresh(d: DynamicKernel, n: number): void {
    d.ins.patches.forEach((p, k) => Reflect.set(p.obj, p.key, p.kind === 'dyn' ? dynValue(p, n) : d.values[k]));
    const rerun = new CaptureSession(this.core.pool, d.allocations);
    let tags: number[];
    try {
      tags = this.core.capture(rerun, () => {
        call(this.raw, d.ins);
      });
    } finally {
      for (const p of d.ins.patches) if (p.kind !== 'dyn') Reflect.set(p.obj, p.key, null);
    }
    this.core.indexErrors.unpin(d.tags);
    d.tags = tags;
    const got = rerun.commands;
    if (got.length !== d.commandCount)
      throw new Error(
        `compile: re-running ${d.ins.method} for its per-call values gave ${got.length} commands, ${d.commandCount} at capture`,
      );
    got.forEach((c, j) => {
      if (c.kind === 'dispatch') this.prepared.update(d.firstCommand + j, c);
    });
  }

  run(inputs: readonly Storage[], n: number): Storage[] {
    if (this.disposed) throw new Error('compile: the WebGPU plan was disposed');
    const core = this.core;
    for (const e of this.externals)
      if (e.storage.buffer !== e.buffer)
        throw new Error(
          'webgpu: storage used after dispose (a tensor the compiled program reads was disposed or replaced after capture)',
        );
    for (const d of this.dynamic) this.refresh(d, n);
    const before: PreparedCopy[] = inputs.map((s, i) => ({
      src: core.buf(s),
      dst: this.slots[i]!.buffer!,
      bytes: s.size * 4,
    }));
    const after: PreparedCopy[] = [];
    const outs = this.program.outputs.map((o, i): Storage => {
      if (o.ref.ref === 'in') return inputs[o.ref.index]!;
      if (o.ref.ref === 'ext') return o.ref.storage;
      const spec = this.outputs[i]!;
      const s = core.alloc(spec.dtype, spec.size);
      after.push({ src: spec.buffer, dst: s.buffer!, bytes: spec.size * 4 });
      return s;
    });
    core.recorder.encodePrepared(this.prepared, before, after);
    engine.randomOffset += this.program.randomAdvance;
    return outs;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.prepared.destroy();
    this.session.releaseAll();
    for (const s of this.slots) this.core.release(s);
    this.core.indexErrors.unpin(this.tags);
    for (const d of this.dynamic) this.core.indexErrors.unpin(d.tags);
  }
}
