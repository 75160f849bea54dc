/**
 * matmul: the tiled GEMM (kernels/matmul.wgsl), the split-K variant for small outputs (kernels/matmul_small.wgsl),
 * or, on software adapters, the GEMM without workgroup memory (kernels/matmul_direct.wgsl).
 */
import type { MatmulParams, Storage } from '../../kernels.js';
import type { WebGpuCore } from '../core.js';
import { Params, grid } from '../params.js';
import type { GpuStorage } from '../storage.js';
import {
  TILE_32,
  directCpuTile,
  planMatmul,
  tileLoadsDivide,
  type MatmulPlan,
  type TileConfig,
} from './matmul-tuning.js';
import { permute } from './movement.js';

/**
 * Software adapters: a transposed operand is copied upright first when the upright problem suits the direct kernel
 * (which has no transposed loads). Measured on lavapipe: 1024×500 · (32×500)ᵀ 20–70 → 11 ms, (1024×32)ᵀ · 1024×500
 * 16–21 → 8–10 ms, the copies included — an MMoE's expert layers forward (x·Wᵀ) and weight gradients (Gᵀ·x).
 */
function uprightForDirect(core: WebGpuCore, p: MatmulParams): boolean {
  const { batch, m, n, k } = p;
  return (
    core.isSoftware &&
    (p.transA || p.transB) &&
    batch === 1 &&
    k > 0 &&
    k % 4 === 0 &&
    n % 4 === 0 &&
    m >= 32 &&
    n >= 32 &&
    m * n >= 64 * 64 &&
    planMatmul(batch, m, n, k, true, p.transA, p.transB).kind === 'tiled'
  );
}

export function matmul(
  core: WebGpuCore,
  a: Storage,
  b: Storage,
  p: MatmulParams,
  forcePlan?: TileConfig | MatmulPlan,
): Storage {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error('webgpu: matmul needs float32 inputs');
  const { batch, m, n, k } = p;
  if (!forcePlan && uprightForDirect(core, p)) {
    const at = p.transA ? permute(core, a, [k, m], [1, 0]) : a;
    const bt = p.transB ? permute(core, b, [n, k], [1, 0]) : b;
    const upright = { ...p, transA: false, transB: false, aBatchStride: m * k, bBatchStride: k * n };
    const out = matmul(core, at, bt, upright, { kind: 'direct', tile: directCpuTile(n) });
    if (at !== a) core.release(at);
    if (bt !== b) core.release(bt);
    return out;
  }
  const out = core.alloc('float32', batch * m * n) as GpuStorage;
  if (out.size === 0) return out;
  const act = `act_${p.activation ?? 'none'}`;
  const hasBias = p.bias !== undefined;
  // k = 0 (an empty sum, out = act(bias)) goes to the tiled kernel, whose K loop then runs zero times.
  const plan: MatmulPlan = !forcePlan
    ? planMatmul(batch, m, n, k, core.isSoftware, p.transA, p.transB)
    : 'kind' in forcePlan
      ? forcePlan
      : { kind: 'tiled', tile: forcePlan };
  const strides = new Params().u(m).u(n).u(k).u(p.aBatchStride).u(p.bBatchStride);
  if (plan.kind === 'splitK' && k > 0) {
    const rows = batch * m;
    const partials = core.alloc('float32', plan.splits * rows * n);
    const [ncol, klanes] = p.transB ? [4, 64] : [64, 4];
    const values = { TRANS_A: p.transA, TRANS_B: p.transB, NCOL: ncol, KLANES: klanes, HAS_BIAS: hasBias, ACT: act };
    strides.u(plan.splits).u(plan.chunk).u(rows);
    core.run(
      'matmul_small.wgsl',
      'partial',
      values,
      [undefined, core.buf(a), core.buf(b), core.buf(partials)],
      strides,
      [Math.ceil(n / ncol), plan.splits, rows],
    );
    core.run(
      'matmul_small.wgsl',
      'finish',
      values,
      [
        undefined,
        undefined,
        undefined,
        undefined,
        core.buf(partials),
        hasBias ? core.buf(p.bias!) : undefined,
        core.buf(out),
      ],
      strides,
      grid(Math.ceil((rows * n) / 256)),
    );
    core.release(partials);
    return out;
  }
  /** One workgroup per bm×bn output block per batch item (the direct and the tiled kernel share the bindings). */
  const blocked = (file: string, values: Record<string, boolean | number | string>, bm: number, bn: number) => {
    if (batch > 65535) throw new Error('webgpu: matmul batch above 65535 is not supported');
    const bias = hasBias ? core.buf(p.bias!) : undefined;
    core.run(file, 'main', values, [undefined, core.buf(a), core.buf(b), bias, core.buf(out)], strides, [
      Math.ceil(n / bn),
      Math.ceil(m / bm),
      batch,
    ]);
    return out;
  };
  // A forced direct plan whose preconditions fail falls back to the tiled kernel.
  if (plan.kind === 'direct' && !p.transA && !p.transB && k % 4 === 0 && n % 4 === 0 && k > 0) {
    const t = plan.tile;
    const bm = t.wgY * t.tm;
    const bn = t.wgX * t.tn4 * 4;
    const values = {
      WG_X: t.wgX,
      WG_Y: t.wgY,
      TM: t.tm,
      TN4: t.tn4,
      CHECK: m % bm !== 0 || n % bn !== 0,
      HAS_BIAS: hasBias,
      ACT: act,
    };
    return blocked('matmul_direct.wgsl', values, bm, bn);
  }
  const tile = plan.kind === 'tiled' ? plan.tile : TILE_32;
  if (!tileLoadsDivide(tile)) throw new Error(`webgpu: matmul tile ${JSON.stringify(tile)} does not divide its loads`);
  const bm = tile.wgY * tile.tm;
  const bn = tile.wgX * tile.tn;
  const values = {
    WG_X: tile.wgX,
    WG_Y: tile.wgY,
    TM: tile.tm,
    TN: tile.tn,
    TK: tile.tk,
    TRANS_A: p.transA,
    TRANS_B: p.transB,
    // vec4 reads need the stored row length to be a multiple of 4 (rows then start aligned) — and so does the
    // batch stride, which is m·k or k·n, hence automatically.
    VEC_A: (p.transA ? m : k) % 4 === 0,
    VEC_B: (p.transB ? k : n) % 4 === 0,
    VEC_C: n % 4 === 0,
    CHECK: m % bm !== 0 || n % bn !== 0 || k % tile.tk !== 0,
    HAS_BIAS: hasBias,
    ACT: act,
  };
  return blocked('matmul.wgsl', values, bm, bn);
}
