/** random: the Philox4x32-10 stream (kernels/random.wgsl), bit-identical to src/backends/philox.ts. */
import type { DType, RandomParams, Storage } from '../../kernels.js';
import { wgslType, type WebGpuCore } from '../core.js';
import { Params, grid } from '../params.js';

const TWO_POW_32 = 4294967296;
const DIST_CODES = { uniform: 0, normal: 1, randint: 2 } as const;

export function random(core: WebGpuCore, size: number, dtype: DType, p: RandomParams): Storage {
  const out = core.alloc(dtype, size);
  if (size === 0) return out;
  const params = new Params()
    .u(size)
    .u(p.seedLo)
    .u(p.seedHi)
    .u(p.offset % TWO_POW_32)
    .u(Math.floor(p.offset / TWO_POW_32));
  if (p.dist === 'randint') params.i(p.a).u(p.b - p.a);
  else if (p.dist === 'uniform')
    params.f(p.a).f(p.b - p.a); // the range rounded once, as the reference computes it
  else params.f(p.a).f(p.b);
  core.run(
    'random.wgsl',
    'main',
    { T: wgslType(dtype), DIST: DIST_CODES[p.dist] },
    [undefined, core.buf(out)],
    params,
    grid(Math.ceil(size / 256)),
  );
  return out;
}
