/**
 * The native backend's executor for a captured program: the whole step in ONE addon call (native/src/plan.cpp),
 * a flat instruction list calling the C++ kernels directly. Built once per program: every argument was checked by
 * the validating layer (backends/checked.ts) when the step was captured, and is lowered here (strides of copies,
 * broadcast shapes, mixture strides) with the views NativeBackend itself uses (backends/strided-view.ts) and the
 * op codes the addon exports (opNames, planNames), in exactly the cases where NativeBackend would call the addon — any other case (a kernel the js fallback serves,
 * float64 work, a row-selected optimizer update) leaves the program to the generic replay (replay.ts).
 *
 * Static memory plan: temporaries live in one arena, at offsets reused by lifetime (first fit over the free
 * blocks); fill/upload results are constants computed once; outputs are fresh storages per replay (the caller
 * owns them).
 */
import type {
  Activation,
  Backend,
  BinaryOp,
  DType,
  RandomDist,
  ReduceOp,
  Storage,
  TypedArray,
  UnaryOp,
} from '../backends/kernels.js';
import { NativeBackend } from '../backends/native/backend.js';
import { opCodes, type NativeAddon } from '../backends/native/addon.js';
import { JsStorage } from '../backends/js/storage.js';
import { broadcastStrides, contiguousStrides, permuteView, sizeOf, sliceView } from '../backends/strided-view.js';
import { engine } from '../tensor/engine.js';
import type { PlanHandle } from './plan-hooks.js';
import type { Program } from './plan.js';
import { isRef, makeRef, type Ref } from './trace.js';

type RunPlan = (buffers: TypedArray[], code: Float64Array) => void;

/** The names behind the plan's numeric activation and distribution fields, in code order (plan.cpp, op_names.h). */
interface PlanNames {
  activation: string[];
  dist: string[];
}

/** What the one-call plan needs of the addon beyond the per-kernel functions (registered by native/src/plan.cpp). */
type PlanAddon = NativeAddon & { runPlan?: RunPlan; planNames?: Partial<PlanNames> };

/**
 * Every op code the plan encodes, derived from the names the addon itself exports (opNames, planNames), exactly as
 * NativeBackend derives its own: the TypeScript side keeps no code table that could drift from the C++ enums.
 */
interface PlanCodes {
  unary: Record<UnaryOp, number>;
  binary: Record<BinaryOp, number>;
  reduce: Record<ReduceOp, number>;
  activation: Record<Activation, number>;
  dist: Record<RandomDist, number>;
}

function planCodes(addon: PlanAddon): PlanCodes | null {
  const names = addon.planNames;
  if (!Array.isArray(names?.activation) || !Array.isArray(names?.dist)) return null;
  return {
    unary: opCodes<UnaryOp>(addon.opNames.unary),
    binary: opCodes<BinaryOp>(addon.opNames.binary),
    reduce: opCodes<ReduceOp>(addon.opNames.reduce),
    activation: opCodes<Activation>(names.activation),
    dist: opCodes<RandomDist>(names.dist),
  };
}

const OP = {
  END: 0,
  SGEMM: 1,
  UNARY: 2,
  BINARY: 3,
  BCE: 4,
  REDUCE: 5,
  SOFTMAX: 6,
  COPY: 7,
  MIXTURE: 8,
  MIXTURE_BWD: 9,
  ADAM: 10,
  SGD: 11,
  GATHER: 12,
  SCATTER_ADD: 13,
  CAST: 14,
  RANDOM: 15,
  WHERE: 16,
  COMPARE_I32: 17,
} as const;
/** int32 binary ops the plan runs itself (results 0/1 or an operand: exact in every implementation). */
const INT32_EXACT: ReadonlySet<string> = new Set(['minimum', 'maximum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const DTYPE_CODE: Record<DType, number> = { float32: 0, float64: 1, int32: 2 };
const elemSize = (d: DType) => (d === 'float64' ? 8 : 4);
const ALIGN = 64;

export interface NativePlan extends PlanHandle {
  readonly arenaBytes: number;
  readonly instructionCount: number;
}

/** Why a program cannot run as one native call (for stats and tests), or null when it can. */
export let lastNativePlanRefusal: string | null = null;

class Unsupported extends Error {}

/** Builds the one-call plan, or returns null (reason in lastNativePlanRefusal) when the program needs the generic replay. */
export function nativePlanFor(
  program: Program,
  backends: ReadonlyMap<string, Backend>,
  inputs: readonly Storage[],
): NativePlan | null {
  lastNativePlanRefusal = null;
  // The engine registers each backend behind the validating layer (backends/checked.ts): the plan needs the raw one.
  const registered = backends.get('native');
  const be = registered && 'inner' in registered ? (registered as { inner: unknown }).inner : registered;
  if (!(be instanceof NativeBackend)) {
    lastNativePlanRefusal = 'not on the native backend';
    return null;
  }
  const addon: PlanAddon = be.addon;
  if (typeof addon.runPlan !== 'function') {
    lastNativePlanRefusal = 'the addon has no runPlan (rebuild it: npm run build:native)';
    return null;
  }
  const codes = planCodes(addon);
  if (!codes) {
    lastNativePlanRefusal = 'the addon has no planNames (rebuild it: npm run build:native)';
    return null;
  }
  const constants: JsStorage[] = [];
  try {
    return new OneCallPlan(program, be, addon.runPlan.bind(addon), codes, inputs, constants);
  } catch (e) {
    for (const c of constants) be.dispose(c);
    if (!(e instanceof Unsupported)) throw e;
    lastNativePlanRefusal = e.message;
    return null;
  }
}

class OneCallPlan implements NativePlan {
  readonly code: Float64Array;
  readonly buffers: TypedArray[];
  readonly arenaBytes: number;
  readonly bytes: number;
  readonly instructionCount: number;
  private readonly inputSlot: number;
  private readonly outputSlot: number;
  private readonly extStorages: JsStorage[];
  private readonly dyn: { pos: number; base: number; delta: number; random?: number }[];
  private disposed = false;

  constructor(
    private readonly program: Program,
    private readonly be: NativeBackend,
    private readonly runPlan: RunPlan,
    codes: PlanCodes,
    inputs: readonly Storage[],
    private readonly constants: JsStorage[],
  ) {
    const ins = program.instructions;
    if (ins.some((i) => i.backend !== 'native')) throw new Unsupported('a kernel runs on another backend');
    // Which temporaries are constants (fill/upload), outputs, or arena residents.
    const outputTmp = new Map<number, number>();
    program.outputs.forEach((o, j) => {
      if (o.ref.ref === 'tmp') {
        if (outputTmp.has(o.ref.id)) throw new Unsupported('one storage returned twice');
        outputTmp.set(o.ref.id, j);
      }
    });
    const constantOf = new Map<number, JsStorage>();
    // Buffer table: 0 arena, then constants, externals, inputs, outputs.
    const table: TypedArray[] = [new Float32Array(0)];
    const extIndex = new Map<Storage, number>();
    this.extStorages = [];
    const offsets = new Map<number, number>(); // tmp id -> arena byte offset
    const free: { off: number; size: number }[] = [];
    let arenaEnd = 0;
    const allocArena = (bytes: number): number => {
      const need = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
      for (let f = 0; f < free.length; f++) {
        const blk = free[f]!;
        if (blk.size >= need) {
          const off = blk.off;
          if (blk.size === need) free.splice(f, 1);
          else {
            blk.off += need;
            blk.size -= need;
          }
          return off;
        }
      }
      const off = arenaEnd;
      arenaEnd += need;
      return off;
    };
    const release = (off: number, bytes: number): void => {
      const need = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
      free.push({ off, size: need });
      free.sort((a, b) => a.off - b.off);
      for (let f = 0; f + 1 < free.length; ) {
        // coalesce neighbours
        const a = free[f]!,
          b = free[f + 1]!;
        if (a.off + a.size === b.off) {
          a.size += b.size;
          free.splice(f + 1, 1);
        } else f++;
      }
    };
    const nInputs =
      Math.max(-1, ...ins.flatMap((i) => i.patches.flatMap((p) => (p.kind === 'in' ? [p.index] : [])))) + 1;
    const codeOut: number[] = [];
    this.dyn = [];
    // Operand placeholders: resolved after the table layout is known.
    type Operand =
      | { kind: 'arena'; id: number }
      | { kind: 'const'; id: number }
      | { kind: 'ext'; s: Storage }
      | { kind: 'in'; i: number }
      | { kind: 'out'; j: number }
      | { kind: 'none' };
    const operands: { pos: number; op: Operand }[] = [];
    const deferredFrees: number[] = [];

    // Lower each instruction: check it is one the addon runs eagerly too, place its results, encode it.
    for (let k = 0; k < ins.length; k++) {
      const instr = ins[k]!;
      const args = instr.traced.args; // the refs, as recorded (last run)
      const dynAt = new Map<unknown, Map<string | number, { base: number; delta: number; random?: number }>>();
      for (const p of instr.patches)
        if (p.kind === 'dyn') {
          let m = dynAt.get(p.obj);
          if (!m) {
            m = new Map();
            dynAt.set(p.obj, m);
          }
          m.set(p.key, { base: p.base, delta: p.delta, random: p.random });
        }
      const info = (r: unknown): { dtype: DType; size: number } => {
        if (!isRef(r)) throw new Unsupported(`${instr.method}: expected a storage argument`);
        if (r.ref === 'ext') return { dtype: r.storage.dtype, size: r.storage.size };
        if (r.ref === 'tmp') return program.tmpInfo[r.id]!;
        const s = inputs[r.index];
        if (!s) throw new Unsupported(`input ${r.index} unknown`);
        return { dtype: s.dtype, size: s.size };
      };
      const operandOf = (r: unknown): Operand => {
        if (r === null || r === undefined) return { kind: 'none' };
        if (!isRef(r)) throw new Unsupported(`${instr.method}: expected a storage argument`);
        if (r.ref === 'ext') return { kind: 'ext', s: r.storage };
        if (r.ref === 'in') return { kind: 'in', i: r.index };
        const c = constantOf.get(r.id);
        if (c) return { kind: 'const', id: r.id };
        if (outputTmp.has(r.id)) return { kind: 'out', j: outputTmp.get(r.id)! };
        return { kind: 'arena', id: r.id };
      };
      const emit = (...vals: number[]) => {
        codeOut.push(...vals);
      };
      const ptr = (r: unknown) => {
        operands.push({ pos: codeOut.length, op: operandOf(r) });
        codeOut.push(0, 0);
      };
      // A number that may be extrapolated per replay (Adam's step, a random offset).
      let dynUsed = 0;
      const num = (obj: unknown, key: string | number, v: number) => {
        const d = dynAt.get(obj)?.get(key);
        if (d) {
          this.dyn.push({ pos: codeOut.length, base: d.base, delta: d.delta, random: d.random });
          dynUsed++;
        }
        codeOut.push(v);
      };
      // Allocate this instruction's results before encoding (they must not alias its inputs).
      const results = instr.results.map((id) => ({ id, ...program.tmpInfo[id]! }));
      const placeResults = () => {
        for (const r of results)
          if (!outputTmp.has(r.id) && !constantOf.has(r.id)) offsets.set(r.id, allocArena(r.size * elemSize(r.dtype)));
      };
      const a = instr.args;
      const m = instr.method;
      const f32 = (...rs: unknown[]) => rs.every((r) => info(r).dtype === 'float32');
      switch (m) {
        case 'fill':
        case 'upload': {
          if (outputTmp.has(instr.results[0]!)) throw new Unsupported(`${m} result returned as an output`);
          // A constant: computed once (the same arguments every call, checked at capture) and kept by the plan.
          const s =
            m === 'fill'
              ? be.fill(a[0] as number, a[1] as number, a[2] as DType)
              : be.upload(a[0] as TypedArray, a[1] as DType);
          const js = s as JsStorage;
          constantOf.set(instr.results[0]!, js);
          this.constants.push(js);
          break;
        }
        case 'matmul': {
          const p = args[2] as Record<string, unknown>;
          const pp = a[2] as Record<string, unknown>;
          if (!f32(args[0], args[1]) || (p.bias != null && !f32(p.bias)))
            throw new Unsupported('matmul on non-float32 data');
          placeResults();
          const act = codeOf(codes.activation, (pp.activation as string | undefined) ?? 'none', 'matmul activation');
          emit(OP.SGEMM);
          ptr(args[0]);
          ptr(args[1]);
          ptr(res(0));
          if (p.bias === undefined || p.bias === null) emit(-1, 0);
          else ptr(p.bias);
          emit(
            pp.batch as number,
            pp.m as number,
            pp.k as number,
            pp.n as number,
            pp.transA ? 1 : 0,
            pp.transB ? 1 : 0,
            pp.aBatchStride as number,
            pp.bBatchStride as number,
            act,
          );
          break;
        }
        case 'unary': {
          const op = a[0] as UnaryOp;
          if (!f32(args[1]) || !Object.hasOwn(codes.unary, op))
            throw new Unsupported(`unary '${op}' on ${info(args[1]).dtype} (served by the js fallback)`);
          placeResults();
          const alpha = (a[2] as { alpha?: number } | undefined)?.alpha ?? (op === 'elu' ? 1 : 0.01);
          emit(OP.UNARY, codes.unary[op]);
          ptr(args[1]);
          ptr(res(0));
          emit(info(args[1]).size, alpha);
          break;
        }
        case 'binary': {
          const op = a[0] as BinaryOp;
          if (INT32_EXACT.has(op) && info(args[1]).dtype === 'int32' && info(args[2]).dtype === 'int32') {
            // The js kernel's int32 comparisons/min/max, exact, so the plan's C++ loop agrees bit for bit.
            const [as, bs, os] = [a[3], a[4], a[5]] as number[][];
            placeResults();
            if (sizeOf(os!) === 0) break;
            emit(OP.COMPARE_I32, codeOf(codes.binary, op, 'binary op'));
            ptr(args[1]);
            ptr(args[2]);
            ptr(res(0));
            emit(os!.length, ...as!, ...bs!, ...os!);
            break;
          }
          if (!f32(args[1], args[2]) || !Object.hasOwn(codes.binary, op))
            throw new Unsupported(`binary '${op}' on ${info(args[1]).dtype} (served by the js fallback)`);
          const [as, bs, os] = [a[3], a[4], a[5]] as number[][];
          placeResults();
          if (sizeOf(os!) === 0) break; // an empty output: nothing to run
          emit(OP.BINARY, codes.binary[op]);
          ptr(args[1]);
          ptr(args[2]);
          ptr(res(0));
          emit(os!.length, ...as!, ...bs!, ...os!);
          break;
        }
        case 'bceWithLogits':
        case 'bceWithLogitsGrad': {
          if (!f32(args[0], args[1])) throw new Unsupported(`${m} on non-float32 data`);
          placeResults();
          emit(OP.BCE);
          ptr(args[0]);
          ptr(args[1]);
          ptr(res(0));
          emit(info(args[0]).size, m === 'bceWithLogitsGrad' ? 1 : 0);
          break;
        }
        case 'reduce': {
          const op = a[0] as ReduceOp;
          if (!f32(args[1]) || !Object.hasOwn(codes.reduce, op))
            throw new Unsupported(`reduce '${op}' on ${info(args[1]).dtype} (served by the js fallback)`);
          placeResults();
          emit(OP.REDUCE, codes.reduce[op]);
          ptr(args[1]);
          ptr(res(0));
          emit(a[2] as number, a[3] as number, a[4] as number);
          break;
        }
        case 'softmax': {
          if (!f32(args[0])) throw new Unsupported('softmax on non-float32 data');
          placeResults();
          emit(OP.SOFTMAX);
          ptr(args[0]);
          ptr(res(0));
          emit(a[1] as number, a[2] as number, a[3] ? 1 : 0);
          break;
        }
        case 'permute':
        case 'broadcastTo':
        case 'slice':
        case 'sliceWrite':
        case 'concat': {
          placeResults();
          const src = info(m === 'concat' ? (args[0] as unknown[])[0] : args[0]);
          const es = elemSize(src.dtype);
          const copy = (
            from: unknown,
            shape: readonly number[],
            sst: readonly number[],
            sbase: number,
            dst: readonly number[],
            dbase: number,
            zeroBytes: number,
          ) => {
            if (shape.length > 32) throw new Unsupported(`${m} of rank ${shape.length}`);
            if (sizeOf(shape) === 0) return;
            emit(OP.COPY);
            ptr(from);
            ptr(res(0));
            emit(es, zeroBytes, shape.length, ...shape, ...sst, sbase, ...dst, dbase);
          };
          // The views NativeBackend's copies read or write (strided-view.ts; arguments checked at capture).
          if (m === 'permute') {
            const view = permuteView(a[1] as number[], a[2] as number[]);
            copy(args[0], view.shape, view.strides, view.offset, contiguousStrides(view.shape), 0, 0);
          } else if (m === 'broadcastTo') {
            const outShape = a[2] as number[];
            copy(args[0], outShape, broadcastStrides(a[1] as number[], outShape), 0, contiguousStrides(outShape), 0, 0);
          } else if (m === 'slice') {
            const outShape = a[4] as number[];
            const { strides, offset } = sliceView(a[1] as number[], a[2] as number[], a[3] as number[], outShape);
            copy(args[0], outShape, strides, offset, contiguousStrides(outShape), 0, 0);
          } else if (m === 'sliceWrite') {
            const srcShape = a[1] as number[],
              full = a[2] as number[];
            const { strides, offset: base } = sliceView(full, a[3] as number[], a[4] as number[], srcShape);
            const bytes = sizeOf(full) * es;
            if (sizeOf(srcShape) === 0) throw new Unsupported('sliceWrite of an empty source');
            copy(args[0], srcShape, contiguousStrides(srcShape), 0, strides, base, bytes);
          } else {
            const xs = args[0] as unknown[],
              widths = a[2] as number[],
              outer = a[1] as number;
            const total = widths.reduce((s, w) => s + w, 0);
            let column = 0;
            xs.forEach((x, t) => {
              copy(x, [outer, widths[t]!], [widths[t]!, 1], 0, [total, 1], column, 0);
              column += widths[t]!;
            });
          }
          break;
        }
        case 'where': {
          const [cs, as, bs, os] = [a[3], a[4], a[5], a[6]] as number[][];
          if (os!.length > 32) throw new Unsupported(`where of rank ${os!.length}`);
          placeResults();
          if (sizeOf(os!) === 0) break;
          const x = info(args[1]);
          emit(OP.WHERE);
          ptr(args[0]);
          emit(DTYPE_CODE[info(args[0]).dtype]);
          ptr(args[1]);
          ptr(args[2]);
          ptr(res(0));
          emit(
            elemSize(x.dtype),
            os!.length,
            ...os!,
            ...broadcastStrides(cs!, os!),
            ...broadcastStrides(as!, os!),
            ...broadcastStrides(bs!, os!),
          );
          break;
        }
        case 'gatedMixture':
        case 'gatedMixtureBackward': {
          const p = a[m === 'gatedMixture' ? 2 : 3] as {
            e: number;
            b: number;
            d: number;
            t: number;
            layout: string;
            activation: string;
          };
          const ins3 = m === 'gatedMixture' ? [args[0], args[1]] : [args[0], args[1], args[2]];
          if (!f32(...ins3)) throw new Unsupported(`${m} on non-float32 data`);
          placeResults();
          if (p.b === 0) break;
          emit(m === 'gatedMixture' ? OP.MIXTURE : OP.MIXTURE_BWD);
          for (const r of ins3) ptr(r);
          ptr(res(0));
          ptr(res(1));
          const ebd = p.layout === 'EBD';
          emit(p.e, p.b, p.d, p.t, ebd ? p.b * p.d : p.d, ebd ? p.d : p.e * p.d, p.activation === 'relu' ? 1 : 0);
          break;
        }
        case 'adamUpdate':
        case 'sgdUpdate': {
          const pArg = m === 'adamUpdate' ? 4 : 3;
          // A row selection (lazy embedding rows): its int32 list is read per replay, -1 entries are padding.
          const sel = args[pArg + 1] as { rows: unknown; rowSize: number } | undefined;
          if (sel !== undefined && info(sel.rows).dtype !== 'int32') throw new Unsupported(`${m}: rows not int32`);
          const rowsField = () => {
            if (sel === undefined) emit(-1, 0, 0, 0);
            else {
              ptr(sel.rows);
              emit(info(sel.rows).size, sel.rowSize);
            }
          };
          const bufs = m === 'adamUpdate' ? [args[0], args[1], args[2], args[3]] : [args[0], args[1], args[2]];
          if (!f32(args[0])) throw new Unsupported(`${m} on non-float32 data`);
          for (const r of [bufs[0], ...bufs.slice(2)])
            if (isRef(r) && r.ref !== 'ext') throw new Unsupported(`${m} updates a storage made in the step`);
          const p = a[pArg] as Record<string, number | boolean>;
          const n = info(args[0]).size;
          if (n === 0) break;
          if (m === 'adamUpdate') {
            emit(OP.ADAM);
            for (const r of bufs) ptr(r);
            emit(n);
            emit(
              p.lr as number,
              p.beta1 as number,
              p.beta2 as number,
              p.eps as number,
              p.weightDecay as number,
              p.decoupled ? 1 : 0,
            );
            num(a[pArg], 'step', p.step as number);
            rowsField();
          } else {
            emit(OP.SGD);
            ptr(args[0]);
            ptr(args[1]);
            if ((p.momentum as number) !== 0) ptr(args[2]);
            else emit(-1, 0);
            emit(
              n,
              p.lr as number,
              p.momentum as number,
              p.dampening as number,
              p.nesterov ? 1 : 0,
              p.weightDecay as number,
              p.firstStep ? 1 : 0,
            );
            rowsField();
          }
          break;
        }
        case 'gather':
        case 'scatterAdd': {
          const x = info(args[0]);
          if (m === 'scatterAdd' && x.dtype !== 'float32') throw new Unsupported('scatterAdd on non-float32 data');
          placeResults();
          const outer = a[2] as number,
            n = a[3] as number,
            inner = a[4] as number,
            mm = info(args[1]).size;
          if (outer * mm * inner === 0 && m === 'gather') break;
          emit(m === 'gather' ? OP.GATHER : OP.SCATTER_ADD);
          ptr(args[0]);
          ptr(args[1]);
          ptr(res(0));
          emit(outer, n, inner, mm, elemSize(x.dtype));
          break;
        }
        case 'cast': {
          placeResults();
          const x = info(args[0]);
          if (x.size === 0) break;
          emit(OP.CAST);
          ptr(args[0]);
          emit(DTYPE_CODE[x.dtype]);
          ptr(res(0));
          emit(DTYPE_CODE[a[1] as DType], x.size);
          break;
        }
        case 'random': {
          const dtype = a[1] as DType,
            p = a[2] as Record<string, unknown>;
          if (dtype === 'int32' && p.dist !== 'randint') throw new Unsupported('random float dist into int32');
          placeResults();
          if ((a[0] as number) === 0) break;
          emit(OP.RANDOM);
          ptr(res(0));
          emit(
            DTYPE_CODE[dtype],
            a[0] as number,
            codeOf(codes.dist, p.dist as string, 'random dist'),
            p.seedLo as number,
            p.seedHi as number,
          );
          num(a[2], 'offset', p.offset as number);
          emit(p.a as number, p.b as number);
          break;
        }
        default:
          throw new Unsupported(`kernel '${m}' has no one-call native form`);
      }
      // Only Adam's step and random offsets are encoded as per-replay numbers; any other changing value (a fill
      // value stepping each call, made a constant here) must take the generic replay.
      if (dynUsed !== instr.patches.filter((p) => p.kind === 'dyn').length)
        throw new Unsupported(`${m}: a value that changes per call`);
      // Temporaries whose last reader this was go back to the arena's free list. Within a run of products they
      // are kept until the run ends: plan.cpp may run consecutive products that share an operand as one
      // interleaved group, where no product's result may land on another's operand.
      deferredFrees.push(...instr.frees);
      if (!(m === 'matmul' && ins[k + 1]?.method === 'matmul')) {
        for (const id of deferredFrees) {
          const off = offsets.get(id);
          if (off !== undefined) release(off, program.tmpInfo[id]!.size * elemSize(program.tmpInfo[id]!.dtype));
        }
        deferredFrees.length = 0;
      }

      function res(i: number): Ref {
        return makeRef({ ref: 'tmp', id: instr.results[i]! });
      }
    }
    codeOut.push(OP.END);

    // Layout of the buffer table.
    this.arenaBytes = arenaEnd;
    this.bytes = arenaEnd + [...constantOf.values()].reduce((n, c) => n + c.data.byteLength, 0);
    const arena = new Float32Array(new ArrayBuffer(Math.max(arenaEnd, 4)));
    table[0] = arena;
    const constIndex = new Map<number, number>();
    for (const [id, s] of constantOf) {
      constIndex.set(id, table.length);
      table.push(s.data);
    }
    const resolveExt = (s: Storage): number => {
      let i = extIndex.get(s);
      if (i === undefined) {
        if (!(s instanceof JsStorage) || s.backend !== 'native') throw new Unsupported('a storage of another backend');
        i = table.length;
        extIndex.set(s, i);
        table.push(s.data);
        this.extStorages.push(s);
      }
      return i;
    };
    for (const { op } of operands) if (op.kind === 'ext') resolveExt(op.s);
    this.inputSlot = table.length;
    for (let i = 0; i < nInputs; i++) table.push(new Float32Array(0));
    this.outputSlot = table.length;
    for (let j = 0; j < program.outputs.length; j++) table.push(new Float32Array(0));
    const code = new Float64Array(codeOut);
    for (const { pos, op } of operands) {
      let buf: number,
        off = 0;
      switch (op.kind) {
        case 'none':
          buf = -1;
          break;
        case 'arena':
          buf = 0;
          off = offsets.get(op.id)!;
          break;
        case 'const':
          buf = constIndex.get(op.id)!;
          break;
        case 'ext':
          buf = extIndex.get(op.s)!;
          break;
        case 'in':
          buf = this.inputSlot + op.i;
          break;
        case 'out':
          buf = this.outputSlot + op.j;
          break;
      }
      code[pos] = buf;
      code[pos + 1] = off;
    }
    this.code = code;
    this.buffers = table;
    this.instructionCount = ins.length;
  }

  run(inputs: readonly Storage[], n: number): Storage[] {
    if (this.disposed) throw new Error('compile: this native plan was disposed');
    for (const s of this.extStorages) {
      if (s.disposed)
        throw new Error(
          'compile: a parameter or state buffer the captured step updates was disposed since the capture; compile the function again',
        );
    }
    inputs.forEach((s, i) => {
      if (this.inputSlot + i < this.outputSlot) this.buffers[this.inputSlot + i] = this.be.dataOf(s, 'compiled step');
    });
    const outs: Storage[] = this.program.outputs.map((o, j) => {
      if (o.ref.ref !== 'tmp') return o.ref.ref === 'in' ? inputs[o.ref.index]! : o.ref.storage;
      const info = this.program.tmpInfo[o.ref.id]!;
      const s = this.be.allocUninit(info.dtype, info.size);
      this.buffers[this.outputSlot + j] = s.data;
      return s;
    });
    for (const d of this.dyn)
      this.code[d.pos] = d.random !== undefined ? engine.randomOffset + d.random : d.base + d.delta * n;
    try {
      this.runPlan(this.buffers, this.code);
    } catch (e) {
      for (const s of outs) if (s instanceof JsStorage && !inputs.includes(s)) this.be.dispose(s);
      throw e;
    } finally {
      for (let i = this.inputSlot; i < this.buffers.length; i++) this.buffers[i] = EMPTY;
    }
    engine.randomOffset += this.program.randomAdvance;
    return outs;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.constants) this.be.dispose(c);
  }
}

const EMPTY = new Float32Array(0);

/** The addon's code for `name`, or Unsupported when this build does not know it (the generic replay then serves). */
function codeOf(table: Readonly<Record<string, number>>, name: string, what: string): number {
  if (!Object.hasOwn(table, name)) throw new Unsupported(`${what} '${name}' unknown to the addon's plan`);
  return table[name]!;
}
