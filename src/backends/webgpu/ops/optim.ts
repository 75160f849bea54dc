/** Optimizer updates in place (kernels/optim.wgsl), optionally restricted to a RowSelection. */
import type { AdagradParams, AdamParams, RowSelection, SgdParams, Storage } from '../../kernels.js';
import type { WebGpuCore } from '../core.js';
import { Params, grid } from '../params.js';
import type { Bindings } from '../params.js';

function run(
  core: WebGpuCore,
  entry: 'sgd' | 'adam' | 'adagrad',
  param: Storage,
  bindings: Bindings,
  scalars: Params,
  sel?: RowSelection,
): void {
  const count = sel ? sel.rows.size * sel.rowSize : param.size;
  if (count === 0) return;
  scalars
    .at(0)
    .u(count)
    .u(sel?.rowSize ?? 1);
  if (sel) {
    const rowCount = param.size / sel.rowSize;
    bindings[5] = core.buf(sel.rows);
    bindings[6] = core.indexErrors.buffer;
    // js/native's selectedRows words, for a row the shader finds out of range.
    const tag = core.indexErrors.tagWith(
      (row, at) => `${entry}Update: row ${row} (at position ${at}) out of range [0, ${rowCount})`,
    );
    scalars.u(tag).u(rowCount);
  }
  core.run('optim.wgsl', entry, { ROWS: sel !== undefined }, bindings, scalars, grid(Math.ceil(count / 256)));
}

export function sgdUpdate(
  core: WebGpuCore,
  param: Storage,
  grad: Storage,
  momentumBuf: Storage | null,
  p: SgdParams,
  sel?: RowSelection,
): void {
  const hasMomentum = p.momentum !== 0 && momentumBuf !== null;
  const scalars = new Params()
    .at(4)
    .f(p.lr)
    .f(p.momentum)
    .f(p.dampening)
    .f(p.weightDecay)
    .u(p.nesterov ? 1 : 0)
    .u(p.firstStep ? 1 : 0)
    .u(hasMomentum ? 1 : 0);
  run(
    core,
    'sgd',
    param,
    [undefined, core.buf(param), core.buf(grad), hasMomentum ? core.buf(momentumBuf!) : core.dummyWrite],
    scalars,
    sel,
  );
}

export function adamUpdate(
  core: WebGpuCore,
  param: Storage,
  grad: Storage,
  m: Storage,
  v: Storage,
  p: AdamParams,
  sel?: RowSelection,
): void {
  const bc1 = 1 - p.beta1 ** p.step;
  const bc2Sqrt = Math.sqrt(1 - p.beta2 ** p.step);
  const scalars = new Params()
    .at(4)
    .f(p.lr)
    .f(p.beta1)
    .f(p.beta2)
    .f(p.eps)
    .f(p.weightDecay)
    .u(p.decoupled ? 1 : 0)
    .f(bc1)
    .f(bc2Sqrt);
  run(core, 'adam', param, [undefined, core.buf(param), core.buf(grad), core.buf(m), core.buf(v)], scalars, sel);
}

export function adagradUpdate(
  core: WebGpuCore,
  param: Storage,
  grad: Storage,
  sum: Storage,
  p: AdagradParams,
  sel?: RowSelection,
): void {
  const clr = p.lr / (1 + (p.step - 1) * p.lrDecay);
  const scalars = new Params().at(4).f(clr).f(p.eps).f(p.weightDecay);
  run(core, 'adagrad', param, [undefined, core.buf(param), core.buf(grad), core.buf(sum)], scalars, sel);
}
