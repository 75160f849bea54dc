// gather: x [outer, n, inner], indices [m] → out [outer, m, inner]; 32-bit elements copied as bits.
// A shader cannot throw: an index outside [0, n) yields zeros instead of reading out of bounds, and the first such
// index is recorded in `err` ([0] this dispatch's tag, [1] position, [2] index), which the next readback reports.
// params: [0] count (outer·m·inner), [1] m, [2] n, [3] inner, [4] tag (non-zero).
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;
@group(0) @binding(4) var<storage, read_write> err: array<atomic<u32>, 4>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = linearIndex(gid, nwg, 256u);
  if (o >= P(0)) { return; }
  let m = P(1);
  let n = P(2);
  let inner = P(3);
  let rowLen = m * inner;
  let outerIdx = o / rowLen;
  let rem = o % rowLen;
  let idx = indices[rem / inner];
  var v = 0u;
  if (idx >= 0 && u32(idx) < n) { v = x[(outerIdx * n + u32(idx)) * inner + rem % inner]; }
  else if (atomicCompareExchangeWeak(&err[0], 0u, P(4)).exchanged) {
    atomicStore(&err[1], rem / inner);
    atomicStore(&err[2], bitcast<u32>(idx));
  }
  out[o] = v;
}
