// Generic strided copy of 32-bit elements (dtype-agnostic), behind permute, broadcastTo, slice, sliceWrite and
// concat: for every coordinate c of `shape`, dst[dstBase + Σ c·dstStride] = src[srcBase + Σ c·srcStride].
// params: [0] count, [1] rank, [2] srcBase, [3] dstBase, [4..12) shape, [12..20) src strides, [20..28) dst strides.
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  let o = stridedOffsets(i, vec3<u32>(P(2), P(3), 0u));
  dst[o.y] = src[o.x];
}
