// out[i] = cond[ic] != 0 ? a[ia] : b[ib], all broadcast to the output shape. Template: T (a, b, out), TC (cond),
// BROADCAST, FLOAT_COND. params: [0] count, [1] rank, [4..12) out shape, [12..20) cond strides, [20..28) a strides,
// [28..36) b strides.
@group(0) @binding(1) var<storage, read> cond: array<{{TC}}>;
@group(0) @binding(2) var<storage, read> a: array<{{T}}>;
@group(0) @binding(3) var<storage, read> b: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> out: array<{{T}}>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
#if BROADCAST
  let o = stridedOffsets(i, vec3<u32>(0u));
  let ic = o.x;
  let ia = o.y;
  let ib = o.z;
#else
  let ic = i;
  let ia = i;
  let ib = i;
#endif
  // A NaN condition is "not zero", as in the reference, and -0 is zero. Tested on the bits: WGSL lets a compiler
  // assume no NaN, so `cond != 0.0` may not see one (lavapipe does not).
#if FLOAT_COND
  let truthy = (bitcast<u32>(cond[ic]) << 1u) != 0u;
#else
  let truthy = cond[ic] != 0;
#endif
  out[i] = select(b[ib], a[ia], truthy);
}
