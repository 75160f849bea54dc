// Generic strided copy of 32-bit elements (dtype-agnostic), behind permute, broadcastTo, slice, sliceWrite and
// concat: for every coordinate c of `shape`, dst[dstBase + Σ c·dstStride] = src[srcBase + Σ c·srcStride].
// params: [0] count, [1] rank, [2] srcBase, [3] dstBase, [4..12) shape, [12..20) src strides, [20..28) dst strides.
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  var rem = i;
  var s = P(2);
  var d = P(3);
  for (var k = P(1); k > 0u; k--) {
    let dim = k - 1u;
    let size = P(4u + dim);
    let c = rem % size;
    rem = rem / size;
    s += c * P(12u + dim);
    d += c * P(20u + dim);
  }
  dst[d] = src[s];
}
