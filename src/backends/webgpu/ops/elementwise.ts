/** unary, binary, where, cast and fill: one thread per output element (kernels/unary|binary|where|cast|fill.wgsl). */
import type { BinaryOp, DType, Shape, Storage, UnaryArgs, UnaryOp } from '../../kernels.js';
import { wgslType, type WebGpuCore } from '../core.js';
import { Params, grid } from '../params.js';
import type { Bindings } from '../params.js';
import { MAX_RANK, coalesce, sizeOf } from '../strides.js';
import { broadcastStrides } from '../../strided-view.js';

const WG = 256;

export function unary(core: WebGpuCore, op: UnaryOp, x: Storage, args?: UnaryArgs): Storage {
  const out = core.alloc(x.dtype, x.size);
  if (x.size === 0) return out;
  const isInt = x.dtype === 'int32';
  const alpha = args?.alpha ?? (op === 'elu' ? 1.0 : 0.01);
  core.run(
    'unary.wgsl',
    'main',
    { T: wgslType(x.dtype), OP: `${isInt ? 'ui' : 'u'}_${op}` },
    [undefined, core.buf(x), core.buf(out)],
    new Params().u(x.size).f(alpha),
    grid(Math.ceil(x.size / WG)),
  );
  return out;
}

/** Coalesced broadcast layout of several operands read at outShape's coordinates. */
function broadcastLayout(
  outShape: Shape,
  inShapes: readonly Shape[],
): { shape: number[]; strides: number[][]; flat: boolean } {
  const flat = inShapes.every((s) => s.every((d, i) => d === outShape[i]));
  const { shape, strides } = coalesce(
    outShape,
    inShapes.map((s) => broadcastStrides(s, outShape)),
  );
  return { shape, strides, flat };
}

function broadcastParams(count: number, shape: number[], strides: number[][]): Params {
  const p = new Params().u(count).u(shape.length);
  p.at(4).list(shape);
  strides.forEach((s, k) => p.at(12 + k * MAX_RANK).list(s));
  return p;
}

export function binary(
  core: WebGpuCore,
  op: BinaryOp,
  a: Storage,
  b: Storage,
  aShape: Shape,
  bShape: Shape,
  outShape: Shape,
): Storage {
  const count = sizeOf(outShape);
  const out = core.alloc(a.dtype, count);
  if (count === 0) return out;
  const { shape, strides, flat } = broadcastLayout(outShape, [aShape, bShape]);
  const isInt = a.dtype === 'int32';
  // int32 div/mod by zero is an error on js and native: the shader flags it (index-errors.ts) for the next read.
  const zeroCheck = isInt && (op === 'div' || op === 'mod');
  const params = broadcastParams(count, shape, strides);
  const bindings: Bindings = [undefined, core.buf(a), core.buf(b), core.buf(out)];
  if (zeroCheck) {
    params.at(2).u(core.indexErrors.tagWith(() => `binary: int32 ${op} by zero`));
    bindings.push(core.indexErrors.buffer);
  }
  core.run(
    'binary.wgsl',
    'main',
    { T: wgslType(a.dtype), OP: `${isInt ? 'bi' : 'b'}_${op}`, BROADCAST: !flat, ZERO_CHECK: zeroCheck },
    bindings,
    params,
    grid(Math.ceil(count / WG)),
  );
  return out;
}

export function where(
  core: WebGpuCore,
  cond: Storage,
  a: Storage,
  b: Storage,
  condShape: Shape,
  aShape: Shape,
  bShape: Shape,
  outShape: Shape,
): Storage {
  const count = sizeOf(outShape);
  const out = core.alloc(a.dtype, count);
  if (count === 0) return out;
  const { shape, strides, flat } = broadcastLayout(outShape, [condShape, aShape, bShape]);
  core.run(
    'where.wgsl',
    'main',
    { T: wgslType(a.dtype), TC: wgslType(cond.dtype), BROADCAST: !flat, FLOAT_COND: cond.dtype === 'float32' },
    [undefined, core.buf(cond), core.buf(a), core.buf(b), core.buf(out)],
    broadcastParams(count, shape, strides),
    grid(Math.ceil(count / WG)),
  );
  return out;
}

export function cast(core: WebGpuCore, x: Storage, dtype: DType): Storage {
  const out = core.alloc(dtype, x.size);
  if (x.size === 0) return out;
  if (dtype === x.dtype) {
    core.recorder.copy(core.buf(x), 0, core.buf(out), 0, x.size * 4);
    return out;
  }
  const to = wgslType(dtype);
  core.run(
    'cast.wgsl',
    'main',
    { TI: wgslType(x.dtype), TO: to, CONVERT: to === 'i32' ? 'toI32' : 'toF32' },
    [undefined, core.buf(x), core.buf(out)],
    new Params().u(x.size),
    grid(Math.ceil(x.size / WG)),
  );
  return out;
}

export function fill(core: WebGpuCore, size: number, value: number, dtype: DType): Storage {
  const out = core.alloc(dtype, size);
  if (size === 0) return out;
  const bits = new Params().at(1);
  if (dtype === 'int32') bits.i(value);
  else bits.f(value);
  const pattern = bits.words[1]!;
  if (pattern === 0) {
    core.recorder.clear(core.buf(out), out.bucket);
    return out;
  }
  core.run(
    'fill.wgsl',
    'main',
    {},
    [undefined, core.buf(out)],
    new Params().u(size).u(pattern),
    grid(Math.ceil(size / WG)),
  );
  return out;
}
