/**
 * The GEMM tuning table: which kernel and tile shape to use for a problem size. Larger tiles reuse each loaded
 * value more (fewer memory reads per flop) but need enough tiles to fill the device; the first rule that
 * matches wins. Every tile config keeps its loads evenly divided among the threads (checked in tileLoadsDivide).
 */
export interface TileConfig {
  wgX: number;
  wgY: number;
  tm: number;
  tn: number;
  tk: number;
}
/** kernels/matmul_direct.wgsl: no workgroup memory; a WG_X × WG_Y workgroup, TM rows × 4·TN4 columns per thread. */
export interface DirectConfig {
  wgX: number;
  wgY: number;
  tm: number;
  tn4: number;
}
export type MatmulPlan =
  | { kind: 'tiled'; tile: TileConfig }
  | { kind: 'splitK'; splits: number; chunk: number }
  | { kind: 'direct'; tile: DirectConfig };

export const TILE_128: TileConfig = { wgX: 16, wgY: 16, tm: 8, tn: 8, tk: 8 };
export const TILE_64: TileConfig = { wgX: 16, wgY: 16, tm: 4, tn: 4, tk: 16 };
export const TILE_32: TileConfig = { wgX: 8, wgY: 8, tm: 4, tn: 4, tk: 16 };
/**
 * For software adapters (lavapipe/llvmpipe run a workgroup's invocations as SIMD lanes on one CPU thread, and
 * every barrier switches between them): fewer threads doing more each — measured ~2× TILE_64 there.
 */
export const TILE_64_CPU: TileConfig = { wgX: 8, wgY: 8, tm: 8, tn: 8, tk: 8 };

/**
 * Software adapters, no transposes, K and N multiples of 4: kernels/matmul_direct.wgsl (no workgroup memory, no
 * barriers) with 8 × 8 threads of 8 rows × 4·tn4 columns each; tn4 by N so narrow outputs don't waste lanes.
 * Measured on lavapipe (2 cores, CPU time per flop): ~2× TILE_64_CPU at 512³…2048³ and at issue 3's shapes, and
 * 1.5-2.5× at N = 64 / 32 with the narrower blocks. (Larger blocks spill: 16 × 16 per thread was 4× slower.)
 */
export const directCpuTile = (n: number): DirectConfig => ({
  wgX: 8,
  wgY: 8,
  tm: 8,
  tn4: n >= 128 ? 4 : n >= 64 ? 2 : 1,
});

/** Most output rows a split-K dispatch handles (its rows go to the z dimension of the grid). */
const MAX_SPLITK_ROWS = 65535;
/**
 * On software adapters split-K pays only for a handful of rows: its many small workgroups (rows × splits × column
 * groups, each reducing across lanes with barriers) cost lavapipe far more than the tiled kernel's few. Measured
 * on lavapipe (2 cores): 1024×500 · 500×8ᵀ 116 ms split-K vs 20 ms TILE_32; 32×1024ᵀ · 1024×500 72 vs 25 ms;
 * 8×500 · 500×64ᵀ 13 vs 2 ms; but 3×700 · 700×9 0.4 vs 1.1 ms.
 */
const MAX_SPLITK_ROWS_SOFTWARE = 4;

export function planMatmul(
  batch: number,
  m: number,
  n: number,
  k: number,
  software = false,
  transA = false,
  transB = false,
): MatmulPlan {
  const outputs = batch * m * n;
  const smallOutputs = m === 1 || (outputs <= 16384 && k >= 256);
  if (smallOutputs && batch * m <= (software ? MAX_SPLITK_ROWS_SOFTWARE : MAX_SPLITK_ROWS)) {
    // Aim for chunks of ~256 along K, at most 64 of them.
    const splits = Math.max(1, Math.min(64, Math.ceil(k / 256)));
    const chunk = Math.ceil(k / splits);
    return { kind: 'splitK', splits: Math.ceil(k / chunk), chunk };
  }
  if (
    software &&
    !transA &&
    !transB &&
    k % 4 === 0 &&
    n % 4 === 0 &&
    k > 0 &&
    m >= 32 &&
    n >= 32 &&
    outputs >= 64 * 64
  ) {
    return { kind: 'direct', tile: directCpuTile(n) };
  }
  if (software) return { kind: 'tiled', tile: outputs >= 64 * 64 && m >= 48 && n >= 48 ? TILE_64_CPU : TILE_32 };
  if (outputs >= 1024 * 1024 && m >= 128 && n >= 128) return { kind: 'tiled', tile: TILE_128 };
  if (outputs >= 128 * 128 && m >= 48 && n >= 48) return { kind: 'tiled', tile: TILE_64 };
  return { kind: 'tiled', tile: TILE_32 };
}

/** The WGSL loops assume each tile load is an exact number of rounds over the workgroup's threads. */
export function tileLoadsDivide(t: TileConfig): boolean {
  const threads = t.wgX * t.wgY;
  const bm = t.wgY * t.tm;
  const bn = t.wgX * t.tn;
  return (
    [bm * t.tk, bn * t.tk, (bm / 4) * t.tk, (bn / 4) * t.tk, bm * (t.tk / 4), bn * (t.tk / 4)].every(
      (x) => x % threads === 0,
    ) &&
    t.tm % 4 === 0 &&
    t.tn % 4 === 0 &&
    t.tk % 4 === 0
  );
}
