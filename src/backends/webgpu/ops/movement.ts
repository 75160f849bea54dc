/**
 * Data movement: permute, broadcastTo, slice, sliceWrite and concat are all one strided copy (kernels/copy.wgsl)
 * with different stride sets; gather and scatterAdd have their own kernels.
 */
import type { Shape, Storage } from '../../kernels.js';
import type { WebGpuCore } from '../core.js';
import type { GpuStorage } from '../storage.js';
import { Params, grid } from '../params.js';
import { MAX_RANK, coalesce, sizeOf } from '../strides.js';
import { broadcastView, concatViews, denseView, permuteView, sliceView, type StridedView } from '../../strided-view.js';

const WG = 256;

/** Records dst[dst.offset + Σ c·dst.strides] = src[src.offset + Σ c·src.strides] for every coordinate c of shape. */
function stridedCopy(
  core: WebGpuCore,
  src: Storage,
  dst: Storage,
  shape: Shape,
  from: ViewStrides,
  to: ViewStrides,
): void {
  const count = sizeOf(shape);
  if (count === 0) return;
  const merged = coalesce(shape, [[...from.strides], [...to.strides]]);
  const p = new Params().u(count).u(merged.shape.length).u(from.offset).u(to.offset);
  p.at(4)
    .list(merged.shape)
    .at(4 + MAX_RANK)
    .list(merged.strides[0]!)
    .at(4 + 2 * MAX_RANK)
    .list(merged.strides[1]!);
  core.run('copy.wgsl', 'main', {}, [undefined, core.buf(src), core.buf(dst)], p, grid(Math.ceil(count / WG)));
}

type ViewStrides = Pick<StridedView, 'strides' | 'offset'>;

/** dst (dense) = the view of src. */
function readView(core: WebGpuCore, src: Storage, dst: Storage, view: StridedView): void {
  stridedCopy(core, src, dst, view.shape, view, denseView(view.shape));
}

/** The view of dst = src (dense). */
function writeView(core: WebGpuCore, src: Storage, dst: Storage, view: StridedView): void {
  stridedCopy(core, src, dst, view.shape, denseView(view.shape), view);
}

export function permute(core: WebGpuCore, x: Storage, shape: Shape, perm: readonly number[]): Storage {
  const out = core.alloc(x.dtype, x.size);
  readView(core, x, out, permuteView(shape, perm));
  return out;
}

export function broadcastTo(core: WebGpuCore, x: Storage, inShape: Shape, outShape: Shape): Storage {
  const out = core.alloc(x.dtype, sizeOf(outShape));
  readView(core, x, out, broadcastView(inShape, outShape));
  return out;
}

export function slice(
  core: WebGpuCore,
  x: Storage,
  shape: Shape,
  begin: readonly number[],
  step: readonly number[],
  outShape: Shape,
): Storage {
  const out = core.alloc(x.dtype, sizeOf(outShape));
  readView(core, x, out, sliceView(shape, begin, step, outShape));
  return out;
}

export function sliceWrite(
  core: WebGpuCore,
  src: Storage,
  srcShape: Shape,
  fullShape: Shape,
  begin: readonly number[],
  step: readonly number[],
): Storage {
  const out = core.alloc(src.dtype, sizeOf(fullShape)) as GpuStorage;
  core.recorder.clear(core.buf(out), out.bucket);
  writeView(core, src, out, sliceView(fullShape, begin, step, srcShape));
  return out;
}

export function concat(core: WebGpuCore, xs: readonly Storage[], outer: number, widths: readonly number[]): Storage {
  const out = core.alloc(xs[0]!.dtype, outer * widths.reduce((a, w) => a + w, 0));
  concatViews(outer, widths).forEach((view, i) => writeView(core, xs[i]!, out, view));
  return out;
}

export function gather(
  core: WebGpuCore,
  x: Storage,
  indices: Storage,
  outer: number,
  n: number,
  inner: number,
): Storage {
  const m = indices.size;
  const count = outer * m * inner;
  const out = core.alloc(x.dtype, count);
  if (count === 0) return out;
  const tag = core.indexErrors.tag('gather', n);
  core.run(
    'gather.wgsl',
    'main',
    {},
    [undefined, core.buf(x), core.buf(indices), core.buf(out), core.indexErrors.buffer],
    new Params().u(count).u(m).u(n).u(inner).u(tag),
    grid(Math.ceil(count / WG)),
  );
  return out;
}

export function scatterAdd(
  core: WebGpuCore,
  src: Storage,
  indices: Storage,
  outer: number,
  n: number,
  inner: number,
): Storage {
  const m = indices.size;
  const out = core.alloc(src.dtype, outer * n * inner) as GpuStorage;
  if (out.size === 0) return out;
  core.recorder.clear(core.buf(out), out.bucket);
  const count = outer * m * inner;
  if (count === 0) return out;
  const t = src.dtype === 'int32' ? 'i32' : 'f32';
  const links = core.alloc('int32', 2 * m) as GpuStorage;
  core.recorder.clear(core.buf(links), links.bucket);
  core.run(
    'scatter.wgsl',
    'link',
    { T: t },
    [undefined, core.buf(indices), core.buf(links)],
    new Params().u(m).u(n).u(inner),
    grid(Math.ceil(m / WG)),
  );
  core.run(
    'scatter.wgsl',
    'accumulate',
    { T: t },
    [undefined, core.buf(indices), undefined, core.buf(links), core.buf(src), core.buf(out), core.indexErrors.buffer],
    new Params().u(m).u(n).u(inner).u(count).u(core.indexErrors.tag('scatterAdd', n)),
    grid(Math.ceil(count / WG)),
  );
  core.release(links);
  return out;
}
