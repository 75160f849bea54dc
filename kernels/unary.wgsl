// Elementwise unary ops: y[i] = OP(x[i], alpha). Template: T (f32 | i32), OP (one of the functions below:
// u_<op> for float32, ui_<op> for the int32 ops neg/abs/sign/square). Formulas follow kernels.ts exactly.
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> y: array<{{T}}>;

fn u_neg(v: f32, a: f32) -> f32 { return -v; }
fn u_exp(v: f32, a: f32) -> f32 { return exp(v); }
fn u_expm1(v: f32, a: f32) -> f32 { return expm1f(v); }
fn u_log(v: f32, a: f32) -> f32 { return log(v); }
fn u_log1p(v: f32, a: f32) -> f32 { return log1pf(v); }
fn u_sqrt(v: f32, a: f32) -> f32 { return sqrt(v); }
fn u_rsqrt(v: f32, a: f32) -> f32 { return 1.0 / sqrt(v); }
fn u_square(v: f32, a: f32) -> f32 { return v * v; }
fn u_reciprocal(v: f32, a: f32) -> f32 { return 1.0 / v; }
fn u_abs(v: f32, a: f32) -> f32 { return abs(v); }
// ±0 and NaN are their own sign (as in the reference: sign(-0) is -0).
fn u_sign(v: f32, a: f32) -> f32 { if (isNan(v) || v == 0.0) { return v; } return sign(v); }
fn u_floor(v: f32, a: f32) -> f32 { return floor(v); }
fn u_ceil(v: f32, a: f32) -> f32 { return ceil(v); }
// Half away from zero (WGSL's round() is half to even); v − trunc(v) is exact, so no 0.49999997 + 0.5 trap.
fn u_round(v: f32, a: f32) -> f32 {
  let t = trunc(v);
  return select(t, t + sign(v), abs(v - t) >= 0.5);
}
fn u_sin(v: f32, a: f32) -> f32 { return sin(v); }
fn u_cos(v: f32, a: f32) -> f32 { return cos(v); }
fn u_tanh(v: f32, a: f32) -> f32 { return tanhf(v); }
fn u_sigmoid(v: f32, a: f32) -> f32 { return sigmoidf(v); }
fn u_logSigmoid(v: f32, a: f32) -> f32 { return logSigmoidf(v); }
fn u_softplus(v: f32, a: f32) -> f32 { return softplusf(v); }
fn u_erf(v: f32, a: f32) -> f32 { return erff(v); }
// NaN passes through, as in the reference (NaN > 0 is false, so the test is "not <= 0").
fn u_relu(v: f32, a: f32) -> f32 { return select(v, 0.0, v <= 0.0); }
fn u_gelu(v: f32, a: f32) -> f32 { return geluf(v); }
fn u_geluTanh(v: f32, a: f32) -> f32 { return geluTanhf(v); }
fn u_elu(v: f32, a: f32) -> f32 { return select(a * expm1f(v), v, v > 0.0); }
fn u_leakyRelu(v: f32, a: f32) -> f32 { return select(a * v, v, v > 0.0); }

fn ui_neg(v: i32, a: f32) -> i32 { return -v; }
fn ui_abs(v: i32, a: f32) -> i32 { return abs(v); }
fn ui_sign(v: i32, a: f32) -> i32 { return sign(v); }
fn ui_square(v: i32, a: f32) -> i32 { return v * v; }

// params: [0] element count, [1] alpha (f32 bits)
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  y[i] = {{OP}}(x[i], PF(1));
}
