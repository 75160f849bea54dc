/**
 * Replaying a program through the backends' kernel interface: no tensors, no tape, no scopes, no op-level checks —
 * only the kernel calls, each argument patched in place (inputs, temporaries, extrapolated numbers), and each
 * temporary released right after its last reader. Used by every backend; the native backend has a faster
 * executor (native-plan.ts) that runs the whole program in one addon call when every kernel is supported.
 */
import type { Backend, Storage } from '../backends/kernels.js';
import { engine } from '../tensor/engine.js';
import type { Program } from './plan.js';

type KernelFn = (...args: unknown[]) => unknown;

/** Runs the program for replay number n (1 = the first replay after capture); returns the output storages. */
export function replayProgram(
  program: Program,
  backends: ReadonlyMap<string, Backend>,
  inputs: readonly Storage[],
  n: number,
): Storage[] {
  const tmps: (Storage | undefined)[] = new Array(program.tmpCount);
  try {
    runAll(program, backends, inputs, n, tmps);
  } catch (e) {
    // A kernel rejected this call's data (e.g. an index out of range): release what the replay made so far.
    for (const s of tmps) if (s) engine.backendOf(s).dispose(s);
    throw e;
  } finally {
    for (const ins of program.instructions)
      for (const p of ins.patches) if (p.kind !== 'dyn') Reflect.set(p.obj, p.key, null); // drop references
  }
  engine.randomOffset += program.randomAdvance;
  return program.outputs.map((o) =>
    o.ref.ref === 'tmp' ? tmps[o.ref.id]! : o.ref.ref === 'in' ? inputs[o.ref.index]! : o.ref.storage,
  );
}

function runAll(
  program: Program,
  backends: ReadonlyMap<string, Backend>,
  inputs: readonly Storage[],
  n: number,
  tmps: (Storage | undefined)[],
): void {
  for (const ins of program.instructions) {
    for (const p of ins.patches) {
      Reflect.set(
        p.obj,
        p.key,
        p.kind === 'in'
          ? inputs[p.index]
          : p.kind === 'tmp'
            ? tmps[p.id]
            : p.random !== undefined
              ? engine.randomOffset + p.random
              : p.base + p.delta * n,
      );
    }
    const be = backends.get(ins.backend)!;
    const r = (Reflect.get(be, ins.method) as KernelFn).apply(be, ins.args);
    if (ins.resultKeys)
      ins.resultKeys.forEach((k, i) => {
        tmps[ins.results[i]!] = (r as Record<string, Storage>)[k];
      });
    else if (ins.results.length === 1) tmps[ins.results[0]!] = r as Storage;
    for (const id of ins.frees) {
      be.dispose(tmps[id]!);
      tmps[id] = undefined;
    }
  }
}
