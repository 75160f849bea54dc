/** The fused kernels: gatedMixture forward/backward (kernels/gated.wgsl) and bceWithLogits (kernels/bce.wgsl). */
import type { Storage } from '../../kernels.js';
import type { WebGpuCore } from '../core.js';
import { Params, grid } from '../params.js';
import type { GpuStorage } from '../storage.js';

function requireFloat(name: string, ...xs: Storage[]): void {
  for (const x of xs) if (x.dtype !== 'float32') throw new Error(`webgpu: ${name} needs float32 inputs`);
}

export function gatedMixture(core: WebGpuCore, experts: Storage, gateLogits: Storage, e: number, b: number,
  d: number): { out: Storage; weights: Storage } {
  requireFloat('gatedMixture', experts, gateLogits);
  const out = core.alloc('float32', b * d) as GpuStorage;
  const weights = core.alloc('float32', b * e);
  if (e === 0) core.recorder.clear(core.buf(out), out.bucket);
  if (b === 0 || e === 0) return { out, weights };
  if (d === 0) {
    // No output elements, but the weights are still defined: run one thread per row.
    const scratch = core.alloc('float32', b);
    core.run('gated.wgsl', 'forward', { E: e, WG: 64 },
      [undefined, core.buf(experts), core.buf(gateLogits), core.buf(scratch), core.buf(weights)],
      new Params().u(b).u(1), grid(Math.ceil(b / 64)));
    core.release(scratch);
    return { out, weights };
  }
  core.run('gated.wgsl', 'forward', { E: e, WG: 64 },
    [undefined, core.buf(experts), core.buf(gateLogits), core.buf(out), core.buf(weights)],
    new Params().u(b).u(d), grid(Math.ceil((b * d) / 64)));
  return { out, weights };
}

export function gatedMixtureBackward(core: WebGpuCore, gOut: Storage, experts: Storage, weights: Storage, e: number,
  b: number, d: number): { gExperts: Storage; gLogits: Storage } {
  requireFloat('gatedMixtureBackward', gOut, experts, weights);
  const gExperts = core.alloc('float32', e * b * d);
  const gLogits = core.alloc('float32', b * e) as GpuStorage;
  if (b === 0 || e === 0) return { gExperts, gLogits };
  const wg = d >= 256 ? 128 : 64;
  core.run('gated.wgsl', 'backward', { E: e, WG: wg },
    [undefined, core.buf(experts), undefined, undefined, undefined, core.buf(gOut), core.buf(weights),
      core.buf(gExperts), core.buf(gLogits)],
    new Params().u(b).u(d), grid(b));
  return { gExperts, gLogits };
}

function bce(core: WebGpuCore, entry: 'forward' | 'grad', logits: Storage, targets: Storage): Storage {
  requireFloat('bceWithLogits', logits, targets);
  const out = core.alloc('float32', logits.size);
  if (logits.size === 0) return out;
  core.run('bce.wgsl', entry, {}, [undefined, core.buf(logits), core.buf(targets), core.buf(out)],
    new Params().u(logits.size), grid(Math.ceil(logits.size / 256)));
  return out;
}

export const bceWithLogits = (core: WebGpuCore, logits: Storage, targets: Storage): Storage =>
  bce(core, 'forward', logits, targets);
export const bceWithLogitsGrad = (core: WebGpuCore, logits: Storage, targets: Storage): Storage =>
  bce(core, 'grad', logits, targets);
