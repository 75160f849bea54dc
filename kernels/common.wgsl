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
