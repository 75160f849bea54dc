/** reduce (sum/prod/max/min/argmax/argmin over [outer, n, inner]) and softmax/logSoftmax over rows. */
import type { ReduceOp, Storage } from '../../kernels.js';
import { wgslType, type WebGpuCore } from '../core.js';
import { Params, grid } from '../params.js';

const OP_CODES: Record<ReduceOp, number> = { sum: 0, prod: 1, max: 2, min: 3, argmax: 4, argmin: 5 };

/**
 * One workgroup per output pays off when n is long and there are too few outputs to fill the device with one
 * thread each; otherwise a thread per output (reading n strided values) is cheaper.
 */
function useTree(outputs: number, n: number): boolean {
  return n >= 256 ? outputs < 16384 : n >= 64 && outputs < 1024;
}

export function reduce(core: WebGpuCore, op: ReduceOp, x: Storage, outer: number, n: number, inner: number): Storage {
  const isArg = op === 'argmax' || op === 'argmin';
  const outDtype = isArg ? 'int32' : x.dtype;
  const outputs = outer * inner;
  const out = core.alloc(outDtype, outputs);
  if (outputs === 0) return out;
  const t = wgslType(x.dtype);
  const tree = useTree(outputs, n);
  const wg = tree ? (n >= 1024 ? 256 : 64) : 64;
  const values = { T: t, TO: wgslType(outDtype), OP: OP_CODES[op], WG: wg, FLOAT: t === 'f32', ARG: isArg };
  core.run(
    'reduce.wgsl',
    tree ? 'tree' : 'serial',
    values,
    [undefined, core.buf(x), core.buf(out)],
    new Params().u(outputs).u(n).u(inner),
    grid(tree ? outputs : Math.ceil(outputs / wg)),
  );
  return out;
}

export function softmax(core: WebGpuCore, x: Storage, rows: number, n: number, log: boolean): Storage {
  const out = core.alloc('float32', rows * n);
  if (rows * n === 0) return out;
  const wg = n > 512 ? 256 : 64;
  core.run(
    'softmax.wgsl',
    'main',
    { WG: wg, LOG: log },
    [undefined, core.buf(x), core.buf(out)],
    new Params().u(rows).u(n),
    grid(rows),
  );
  return out;
}
