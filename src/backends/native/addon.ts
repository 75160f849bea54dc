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

export interface NativeInfo { isa: string; description: string; threads: number; mr: number; nr: number }

type F32 = Float32Array;
type Arr = Float32Array | Float64Array | Int32Array;

/** The addon's functions (see native/src/bindings_*.cpp). Outputs are preallocated by the caller. */
export interface NativeAddon {
  info(): NativeInfo;
  setNumThreads(n: number): void;
  sgemm(a: F32, b: F32, out: F32, batch: number, m: number, k: number, n: number, transA: boolean, transB: boolean,
    aStride: number, bStride: number, bias: F32 | null, act: number): void;
  dgemm(a: Float64Array, b: Float64Array, out: Float64Array, batch: number, m: number, k: number, n: number,
    transA: boolean, transB: boolean, aStride: number, bStride: number, bias: Float64Array | null, act: number): void;
  unary(op: number, x: F32, out: F32, alpha: number): void;
  binary(op: number, a: F32, b: F32, out: F32, aShape: readonly number[], bShape: readonly number[], outShape: readonly number[]): void;
  bce(logits: F32, targets: F32, out: F32, grad: boolean): void;
  reduce(op: number, x: F32, out: F32 | Int32Array, outer: number, n: number, inner: number): void;
  softmax(x: F32, out: F32, rows: number, n: number, log: boolean): void;
  gather(x: Arr, indices: Int32Array, out: Arr, outer: number, n: number, inner: number): void;
  scatterAdd(src: F32 | Float64Array, indices: Int32Array, out: F32 | Float64Array, outer: number, n: number, inner: number): void;
  cast(x: Arr, out: Arr): void;
  /** dst[dstBase + Σ j·dstStrides] = src[srcBase + Σ j·srcStrides] over every index j of shape (dst dense when dstStrides is null). */
  copyStrided(src: Arr, dst: Arr, shape: readonly number[], srcStrides: readonly number[], srcBase: number,
    dstStrides: readonly number[] | null, dstBase: number): void;
  where(cond: Arr, a: Arr, b: Arr, out: Arr, condShape: readonly number[], aShape: readonly number[],
    bShape: readonly number[], outShape: readonly number[]): void;
  random(out: Arr, dist: number, seedLo: number, seedHi: number, offset: number, a: number, b: number): void;
  philox(c0: number, c1: number, k0: number, k1: number, out: Uint32Array): void;
  /** layout: 0 = experts [E, B, D], 1 = [B, E, D]; gate logits/weights [T, B, E], out/gOut [T, B, D]; relu: read relu(experts). */
  gatedMixture(experts: F32, logits: F32, out: F32, weights: F32, e: number, b: number, d: number, t: number, layout: number, relu: boolean): void;
  gatedMixtureBackward(gOut: F32, experts: F32, weights: F32, gExperts: F32, gLogits: F32, e: number, b: number, d: number, t: number, layout: number, relu: boolean): void;
  sgd(param: F32, grad: F32, buf: F32 | null, rows: Int32Array | null, rowSize: number, lr: number, momentum: number,
    dampening: number, nesterov: boolean, weightDecay: number, firstStep: boolean): void;
  adam(param: F32, grad: F32, m: F32, v: F32, rows: Int32Array | null, rowSize: number, lr: number, beta1: number,
    beta2: number, eps: number, weightDecay: number, decoupled: boolean, step: number): void;
  adagrad(param: F32, grad: F32, sum: F32, rows: Int32Array | null, rowSize: number, lr: number, eps: number,
    weightDecay: number, lrDecay: number, step: number): void;
}

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
    if (parent === dir) throw new Error(`native: cannot find mtgrad's package.json above ${fileURLToPath(import.meta.url)}`);
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
  try {
    cached = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (e) {
    throw new Error(`native addon at ${path} failed to load: ${(e as Error).message}`);
  }
  return cached;
}
