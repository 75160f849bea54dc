/**
 * Locating and loading the compiled addon (native/build/Release/mtgrad_native.node, built by
 * scripts/build-native.mjs). The package root is found from this file's location, so it works from src/ (tsx,
 * vitest) and from dist/src/ (the published build) alike. MTGRAD_NATIVE_ADDON points at another build (the
 * sanitized one of `npm run test:asan`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  AdagradParams,
  AdamParams,
  BinaryOp,
  MatmulParams,
  MixtureParams,
  RandomParams,
  ReduceOp,
  SgdParams,
  UnaryOp,
} from '../kernels.js';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from '../kernels.js';

export interface NativeInfo {
  isa: string;
  description: string;
  threads: number;
  mr: number;
  nr: number;
}

type F32 = Float32Array;
type Arr = Float32Array | Float64Array | Int32Array;

/** The op names behind the addon's op-code arguments, in code order (native/src/op_names.h). */
export interface NativeOpNames {
  unary: string[];
  binary: string[];
  reduce: string[];
}

/** The matmul fields the addon reads by name (MatmulParams without its bias storage, passed as an array). */
export type NativeMatmulParams = Omit<MatmulParams, 'bias'>;

/**
 * The addon's functions (see native/src/bindings_*.cpp). Outputs are preallocated by the caller. Parameter structs
 * are the kernel interface's own (MatmulParams, AdamParams, MixtureParams, ...), read by field name in C++.
 */
export interface NativeAddon {
  info(): NativeInfo;
  setNumThreads(n: number): void;
  readonly opNames: NativeOpNames;
  sgemm(a: F32, b: F32, out: F32, bias: F32 | null, p: NativeMatmulParams): void;
  dgemm(a: Float64Array, b: Float64Array, out: Float64Array, bias: Float64Array | null, p: NativeMatmulParams): void;
  unary(op: number, x: F32, out: F32, alpha: number): void;
  binary(
    op: number,
    a: F32,
    b: F32,
    out: F32,
    aShape: readonly number[],
    bShape: readonly number[],
    outShape: readonly number[],
  ): void;
  bce(logits: F32, targets: F32, out: F32, grad: boolean): void;
  reduce(op: number, x: F32, out: F32 | Int32Array, outer: number, n: number, inner: number): void;
  softmax(x: F32, out: F32, rows: number, n: number, log: boolean): void;
  gather(x: Arr, indices: Int32Array, out: Arr, outer: number, n: number, inner: number): void;
  scatterAdd(
    src: F32 | Float64Array,
    indices: Int32Array,
    out: F32 | Float64Array,
    outer: number,
    n: number,
    inner: number,
  ): void;
  cast(x: Arr, out: Arr): void;
  /** dst[dstBase + Σ j·dstStrides] = src[srcBase + Σ j·srcStrides] over every index j of shape (dst dense when dstStrides is null). */
  copyStrided(
    src: Arr,
    dst: Arr,
    shape: readonly number[],
    srcStrides: readonly number[],
    srcBase: number,
    dstStrides: readonly number[] | null,
    dstBase: number,
  ): void;
  where(
    cond: Arr,
    a: Arr,
    b: Arr,
    out: Arr,
    condShape: readonly number[],
    aShape: readonly number[],
    bShape: readonly number[],
    outShape: readonly number[],
  ): void;
  random(out: Arr, p: RandomParams): void;
  philox(c0: number, c1: number, k0: number, k1: number, out: Uint32Array): void;
  /** Gate logits/weights [T, B, E], out/gOut [T, B, D], experts laid out as p.layout says. */
  gatedMixture(experts: F32, logits: F32, out: F32, weights: F32, p: MixtureParams): void;
  gatedMixtureBackward(gOut: F32, experts: F32, weights: F32, gExperts: F32, gLogits: F32, p: MixtureParams): void;
  sgd(param: F32, grad: F32, buf: F32 | null, rows: Int32Array | null, rowSize: number, p: SgdParams): void;
  adam(param: F32, grad: F32, m: F32, v: F32, rows: Int32Array | null, rowSize: number, p: AdamParams): void;
  adagrad(param: F32, grad: F32, sum: F32, rows: Int32Array | null, rowSize: number, p: AdagradParams): void;
}

/** Every function the backend calls: checked at load, so a stale build fails with the names it lacks. */
const FUNCTIONS = [
  'info',
  'setNumThreads',
  'sgemm',
  'dgemm',
  'unary',
  'binary',
  'bce',
  'reduce',
  'softmax',
  'gather',
  'scatterAdd',
  'cast',
  'copyStrided',
  'where',
  'random',
  'philox',
  'gatedMixture',
  'gatedMixtureBackward',
  'sgd',
  'adam',
  'adagrad',
] as const satisfies readonly (keyof NativeAddon)[];

/**
 * What the addon at `path` lacks of what this TypeScript needs (functions, and op names behind the op codes), as
 * one message; null when nothing is missing.
 */
export function missingFromAddon(
  addon: object,
  needed: { [K in keyof NativeOpNames]: readonly string[] },
): string | null {
  const loaded = addon as Record<string, unknown>;
  const missing: string[] = FUNCTIONS.filter((f) => typeof loaded[f] !== 'function');
  const names = loaded.opNames as Partial<NativeOpNames> | undefined;
  for (const kind of ['unary', 'binary', 'reduce'] as const) {
    const have = names?.[kind];
    if (!Array.isArray(have)) missing.push(`opNames.${kind}`);
    else for (const op of needed[kind]) if (!have.includes(op)) missing.push(`${kind} op '${op}'`);
  }
  return missing.length ? missing.join(', ') : null;
}

/** Op name → the addon's code for it (its position in the addon's own list). */
export function opCodes<T extends string>(names: readonly string[]): Record<T, number> {
  return Object.fromEntries(names.map((n, i) => [n, i])) as Record<T, number>;
}

/** The ops the js side dispatches to the addon by code. */
export const NEEDED_OPS: { unary: readonly UnaryOp[]; binary: readonly BinaryOp[]; reduce: readonly ReduceOp[] } = {
  unary: UNARY_OPS,
  binary: BINARY_OPS,
  reduce: REDUCE_OPS,
};

/** The directory holding mtgrad's package.json, searched upward from this module. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mtgrad') return dir;
      } catch {
        // An unreadable package.json on the way up is not ours: keep looking.
      }
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`native: cannot find mtgrad's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function addonPath(): string {
  const override = process.env.MTGRAD_NATIVE_ADDON;
  return override ? resolve(override) : join(packageRoot(), 'native', 'build', 'Release', 'mtgrad_native.node');
}

/**
 * Why the addon at `path` is missing: the reason scripts/build-native.mjs wrote beside the build when it failed
 * (npm hides a dependency's install output), else how to build it.
 */
function notBuiltReason(path: string): string {
  const note = join(dirname(dirname(path)), 'NOT_BUILT.txt');
  if (existsSync(note)) return readFileSync(note, 'utf8').trim();
  const inNodeModules = packageRoot().split(/[\\/]/).includes('node_modules');
  return `${path} is missing; install cmake and a C++17 compiler, then run \`${inNodeModules ? 'npm rebuild mtgrad' : 'npm run build:native'}\``;
}

let cached: NativeAddon | null = null;

/** Loads the addon once; throws an Error saying why it is unavailable (so init('auto') can fall back to js). */
export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) throw new Error(`native addon not built: ${notBuiltReason(path)}`);
  let loaded: NativeAddon;
  try {
    loaded = createRequire(import.meta.url)(path);
  } catch (e) {
    throw new Error(`native addon at ${path} failed to load: ${(e as Error).message}`);
  }
  const missing = missingFromAddon(loaded, NEEDED_OPS);
  if (missing)
    throw new Error(
      `native addon at ${path} is out of date: it lacks ${missing} (rebuild with \`npm run build:native\`)`,
    );
  cached = loaded;
  return cached;
}
