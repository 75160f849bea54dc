// Prepended to every kernel. Parameters arrive in one 256-byte uniform slot read as 64 u32 words; floats and
// ints are stored bit-cast. Dispatches of more than 65535 workgroups are split over a 2-D grid, so a kernel's
// linear index is x + y · (groups along x · workgroup size).
@group(0) @binding(0) var<uniform> params: array<vec4<u32>, 16>;

fn P(i: u32) -> u32 { return params[i >> 2u][i & 3u]; }
fn PF(i: u32) -> f32 { return bitcast<f32>(P(i)); }
fn PI(i: u32) -> i32 { return bitcast<i32>(P(i)); }

fn linearIndex(gid: vec3<u32>, nwg: vec3<u32>, wgSize: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wgSize;
}
fn linearGroup(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Where output element i reads (or writes) in up to three strided operands: i's coordinates in the shape
// P(4 .. 4 + rank) (rank P(1), at most 8) dotted with the operands' strides at P(12 ..), P(20 ..) and P(28 ..),
// plus `base`. Kernels with fewer operands ignore the extra components.
fn stridedOffsets(i: u32, base: vec3<u32>) -> vec3<u32> {
  var rem = i;
  var o = base;
  for (var d = P(1); d > 0u; d--) {
    let dim = d - 1u;
    let size = P(4u + dim);
    let c = rem % size;
    rem = rem / size;
    o += c * vec3<u32>(P(12u + dim), P(20u + dim), P(28u + dim));
  }
  return o;
}
