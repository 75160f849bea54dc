/** The fused kernels: gatedMixture forward/backward (kernels/gated.wgsl) and bceWithLogits (kernels/bce.wgsl). */
import type { MixtureParams, Storage } from '../../kernels.js';
import type { WebGpuCore } from '../core.js';
import { Params, grid } from '../params.js';
import type { GpuStorage } from '../storage.js';

/** The T·E dot products one backward thread keeps (registers) and its workgroup reduces (shared memory). */
const MAX_MIXTURE_TE = 512;
/** Floats of workgroup memory for the backward's side-by-side reductions (12 KiB; ws and dots take ≤ 4 KiB more). */
const REDUCE_FLOATS = 3072;
/** Experts at most this wide get the thread-per-row backward (gated.wgsl backwardRows). */
const NARROW_EXPERTS = 16;

/**
 * x[e, b, :]'s strides in elements. Counts, layout, dtypes and sizes are checked before dispatch (../../checks.ts);
 * what is checked here is this backend's own limit (MAX_MIXTURE_TE).
 */
function mixtureStrides(p: MixtureParams): { strideE: number; strideB: number } {
  return p.layout === 'EBD' ? { strideE: p.b * p.d, strideB: p.d } : { strideE: p.d, strideB: p.e * p.d };
}

/** The shader's RELU template value (p.activation, checked by mixtureStrides); template values key the pipeline cache. */
const relu = (p: MixtureParams): boolean => p.activation === 'relu';

const sizes = (p: MixtureParams): string => `E=${p.e}, B=${p.b}, D=${p.d}, T=${p.t}, layout ${p.layout}`;

export function gatedMixture(
  core: WebGpuCore,
  experts: Storage,
  gateLogits: Storage,
  p: MixtureParams,
): { out: Storage; weights: Storage } {
  const { strideE, strideB } = mixtureStrides(p);
  const { e, b, d, t } = p;
  const out = core.alloc('float32', t * b * d) as GpuStorage;
  const weights = core.alloc('float32', t * b * e);
  if (e === 0) core.recorder.clear(core.buf(out), out.bucket);
  if (b === 0 || e === 0) return { out, weights };
  // With d = 0 there is no output, but the weights are still defined: one thread per row then (DT = 1).
  const dt = Math.max(d, 1);
  core.run(
    'gated.wgsl',
    'forward',
    { E: e, T: t, WG: 64, C: 1, RELU: relu(p) },
    [undefined, core.buf(experts), core.buf(gateLogits), core.buf(out), core.buf(weights)],
    new Params().u(b).u(d).u(dt).u(strideE).u(strideB),
    grid(Math.ceil((b * dt) / 64)),
  );
  return { out, weights };
}

export function gatedMixtureBackward(
  core: WebGpuCore,
  gOut: Storage,
  experts: Storage,
  weights: Storage,
  p: MixtureParams,
): { gExperts: Storage; gLogits: Storage } {
  const k = 'gatedMixtureBackward';
  const { strideE, strideB } = mixtureStrides(p);
  const { e, b, d, t } = p;
  const te = t * e;
  if (te > MAX_MIXTURE_TE) {
    throw new Error(
      `webgpu: ${k}: T·E = ${t}·${e} = ${te} dot products per row, at most ${MAX_MIXTURE_TE} supported (${sizes(p)})`,
    );
  }
  const gExperts = core.alloc('float32', e * b * d);
  const gLogits = core.alloc('float32', t * b * e);
  if (b === 0 || e === 0) return { gExperts, gLogits };
  const bindings = [
    undefined,
    core.buf(experts),
    undefined,
    undefined,
    undefined,
    core.buf(gOut),
    core.buf(weights),
    core.buf(gExperts),
    core.buf(gLogits),
  ];
  const params = new Params().u(b).u(d).u(strideE).u(strideB);
  if (d <= NARROW_EXPERTS) {
    // A thread per row (the MMoE paper's experts of 4: lavapipe ran the workgroup-per-row kernel ~30× slower).
    core.run(
      'gated.wgsl',
      'backwardRows',
      { E: e, T: t, WG: 64, C: 1, RELU: relu(p) },
      bindings,
      params,
      grid(Math.ceil(b / 64)),
    );
    return { gExperts, gLogits };
  }
  const wg = d >= 256 ? 128 : 64;
  const c = Math.min(te, Math.floor(REDUCE_FLOATS / wg));
  core.run('gated.wgsl', 'backward', { E: e, T: t, WG: wg, C: c, RELU: relu(p) }, bindings, params, grid(b));
  return { gExperts, gLogits };
}

function bce(core: WebGpuCore, entry: 'forward' | 'grad', logits: Storage, targets: Storage): Storage {
  const out = core.alloc('float32', logits.size);
  if (logits.size === 0) return out;
  core.run(
    'bce.wgsl',
    entry,
    {},
    [undefined, core.buf(logits), core.buf(targets), core.buf(out)],
    new Params().u(logits.size),
    grid(Math.ceil(logits.size / 256)),
  );
  return out;
}

export const bceWithLogits = (core: WebGpuCore, logits: Storage, targets: Storage): Storage =>
  bce(core, 'forward', logits, targets);
export const bceWithLogitsGrad = (core: WebGpuCore, logits: Storage, targets: Storage): Storage =>
  bce(core, 'grad', logits, targets);
