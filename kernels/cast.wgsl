// Dtype conversion. float32 → int32 truncates toward zero; NaN gives 0 and out-of-range values saturate (WGSL's
// conversion clamps; JS's ToInt32 would wrap, but no engine op relies on wrapping). int32 → float32 rounds.
// Template: TI, TO (f32 | i32). params: [0] count.
@group(0) @binding(1) var<storage, read> x: array<{{TI}}>;
@group(0) @binding(2) var<storage, read_write> y: array<{{TO}}>;

fn toI32(v: f32) -> i32 { if (isNan(v)) { return 0; } return i32(trunc(v)); }
fn toF32(v: i32) -> f32 { return f32(v); }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  y[i] = {{CONVERT}}(x[i]);
}
