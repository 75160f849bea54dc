// Optimizer updates in place over flat float32 buffers (PyTorch semantics, see kernels.ts). One thread per
// updated element. Template: ROWS — only the rows listed in `rows` of a [size/rowSize, rowSize] view are read
// and written (lazy/sparse update of embedding tables; grad is full-size); rows are unique, so no two threads
// touch the same element. A row of -1 is padding (a fixed-length row list of a captured step): its threads return.
// Any other row outside [0, size/rowSize) is skipped (the thread returns) and the first one is recorded in `err` ([0] tag,
// [1] position, [2] row) for the next readback to report (index-errors.ts): a shader cannot throw.
// params: [0] count (elements to update), [1] rowSize, [2] tag, [3] row count (ROWS), then the optimizer's
// scalars from word 4 on.
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> state1: array<f32>;
@group(0) @binding(4) var<storage, read_write> state2: array<f32>;
#if ROWS
@group(0) @binding(5) var<storage, read> rows: array<i32>;
@group(0) @binding(6) var<storage, read_write> err: array<atomic<u32>, 4>;
#endif

// The element thread i updates, or 0xffffffff when its row is padding (-1) or out of range (then recorded, and
// nothing is touched).
fn elementAt(i: u32) -> u32 {
#if ROWS
  let rowSize = P(1);
  let at = i / rowSize;
  let row = rows[at];
  if (row == -1) { return 0xffffffffu; }
  if (row < 0 || u32(row) >= P(3)) {
    if (atomicCompareExchangeWeak(&err[0], 0u, P(2)).exchanged) {
      atomicStore(&err[1], at);
      atomicStore(&err[2], bitcast<u32>(row));
    }
    return 0xffffffffu;
  }
  return u32(row) * rowSize + i % rowSize;
#else
  return i;
#endif
}

// SGD. words: [4] lr, [5] momentum, [6] dampening, [7] weightDecay, [8] nesterov, [9] firstStep, [10] hasMomentum.
// state1 is the momentum buffer (a placeholder when momentum is 0).
@compute @workgroup_size(256)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  let k = elementAt(i);
  if (k == 0xffffffffu) { return; }
  let p = param[k];
  var g = grad[k] + PF(7) * p;
  if (P(10) != 0u) {
    let momentum = PF(5);
    var buf = g;
    if (P(9) == 0u) { buf = momentum * state1[k] + (1.0 - PF(6)) * g; }
    state1[k] = buf;
    g = select(buf, g + momentum * buf, P(8) != 0u);
  }
  param[k] = p - PF(4) * g;
}

// Adam / AdamW. words: [4] lr, [5] beta1, [6] beta2, [7] eps, [8] weightDecay, [9] decoupled,
// [10] 1 − beta1^step, [11] sqrt(1 − beta2^step) (bias corrections, computed in float64 on the CPU).
@compute @workgroup_size(256)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  let k = elementAt(i);
  if (k == 0xffffffffu) { return; }
  let lr = PF(4);
  let wd = PF(8);
  var p = param[k];
  var g = grad[k];
  if (P(9) != 0u) { p = p * (1.0 - lr * wd); } else { g = g + wd * p; }
  // m = lerp(m, g, 1 − beta1) in torch's two-sided form (more accurate near weight 1).
  let w = 1.0 - PF(5);
  let m0 = state1[k];
  let m = select(g - (g - m0) * (1.0 - w), m0 + w * (g - m0), w < 0.5);
  let v = state2[k] * PF(6) + (1.0 - PF(6)) * g * g;
  state1[k] = m;
  state2[k] = v;
  let denom = sqrt(v) / PF(11) + PF(7);
  param[k] = p - (lr / PF(10)) * (m / denom);
}

// Adagrad. words: [4] lr / (1 + (step − 1)·lrDecay), [5] eps, [6] weightDecay. state1 is the sum of squares.
@compute @workgroup_size(256)
fn adagrad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  let k = elementAt(i);
  if (k == 0xffffffffu) { return; }
  let p = param[k];
  let g = grad[k] + PF(6) * p;
  let s = state1[k] + g * g;
  state1[k] = s;
  param[k] = p - PF(4) * (g / (sqrt(s) + PF(5)));
}
