// Float helpers shared by the elementwise, epilogue and fused kernels.
// WGSL lets an implementation assume that NaN and infinity never occur, so NaN tests look at the bits and
// special values are built from bits held in private variables (a constant expression evaluating to inf or NaN
// is a compile error).
var<private> INF_BITS: u32 = 0x7f800000u;
var<private> NAN_BITS: u32 = 0x7fc00000u;
fn f32Inf() -> f32 { return bitcast<f32>(INF_BITS); }
fn f32NaN() -> f32 { return bitcast<f32>(NAN_BITS); }
fn isNan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isInf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }

// e^x − 1 without cancellation: Taylor series near 0 (|x| < 1/8: 8 terms reach f32 precision), exp(x) − 1 beyond.
fn expm1f(x: f32) -> f32 {
  if (abs(x) < 0.125) {
    return x * (1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
      + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0))))))));
  }
  return exp(x) - 1.0;
}

// ln(1 + x) without cancellation: 2·atanh(s), s = x/(2+x), as an odd series near 0; log(1 + x) beyond.
fn log1pf(x: f32) -> f32 {
  if (abs(x) < 0.25) {
    let s = x / (2.0 + x);
    let s2 = s * s;
    return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0
      + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0)))))));
  }
  return log(1.0 + x);
}

// erf: Maclaurin series for |x| < 0.5, Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7) beyond.
fn erff(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 0.5) {
    let x2 = x * x;
    return 1.1283791670955126 * x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (1.0 / 10.0 + x2 * (-1.0 / 42.0
      + x2 * (1.0 / 216.0 + x2 * (-1.0 / 1320.0))))));
  }
  let t = 1.0 / (1.0 + 0.3275911 * ax);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(x) * (1.0 - poly * exp(-ax * ax));
}

// tanh via expm1 of a non-positive argument: exact near 0, no overflow for large |x|.
fn tanhf(x: f32) -> f32 {
  if (isNan(x)) { return x; }
  let e = expm1f(-2.0 * abs(x));
  return sign(x) * (-e / (2.0 + e));
}

fn sigmoidf(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

fn softplusf(x: f32) -> f32 { return max(x, 0.0) + log1pf(exp(-abs(x))); }
fn logSigmoidf(x: f32) -> f32 { return min(x, 0.0) - log1pf(exp(-abs(x))); }
// gelu = x·Φ(x). For x < 0, 1 + erf(x/√2) cancels (gelu(-10) would be 0); there Φ(x) = erfc(|x|/√2)/2, from
// Numerical Recipes' erfcc (relative error < 1.2e-7 everywhere), with exp(−x²/2) taken on x² split by fma so that
// the tail keeps float32's relative precision.
fn geluf(x: f32) -> f32 {
  if (x >= 0.0) { return 0.5 * x * (1.0 + erff(x * 0.7071067811865476)); }
  let z = -x * 0.7071067811865476;
  let t = 1.0 / (1.0 + 0.5 * z);
  let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  let xx = x * x;
  let lo = fma(x, x, -xx);
  let erfcz = t * exp(-0.5 * xx) * exp(poly - 0.5 * lo);
  return 0.5 * x * erfcz;
}
fn geluTanhf(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanhf(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}

// Matmul epilogue activations (kernels.ts `Activation`), named act_<name>.
fn act_none(x: f32) -> f32 { return x; }
fn act_relu(x: f32) -> f32 { return select(x, 0.0, x <= 0.0); }
fn act_sigmoid(x: f32) -> f32 { return sigmoidf(x); }
fn act_tanh(x: f32) -> f32 { return tanhf(x); }
fn act_gelu(x: f32) -> f32 { return geluf(x); }
