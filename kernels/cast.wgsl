// Dtype conversion. float32 → int32 is JS's ToInt32, as in the js and native backends: truncate toward zero, wrap
// modulo 2^32, NaN and ±Infinity give 0 (WGSL's own conversion would saturate). int32 → float32 rounds.
// Template: TI, TO (f32 | i32). params: [0] count.
@group(0) @binding(1) var<storage, read> x: array<{{TI}}>;
@group(0) @binding(2) var<storage, read_write> y: array<{{TO}}>;

fn toI32(v: f32) -> i32 {
  // NaN and ±Infinity, tested on the exponent bits (a compiler may assume neither exists).
  if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u) { return 0; }
  let t = trunc(v);
  if (abs(t) < 2147483648.0) { return i32(t); }
  // |t| >= 2^31 is a multiple of 256 with at most 24 significant bits, so each step below is exact in f32.
  var r = t - 4294967296.0 * floor(t / 4294967296.0);
  if (r >= 2147483648.0) { r = r - 4294967296.0; }
  return i32(r);
}
fn toF32(v: i32) -> f32 { return f32(v); }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  y[i] = {{CONVERT}}(x[i]);
}
