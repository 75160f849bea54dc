// Elementwise binary ops with broadcasting: out[i] = OP(a[ia], b[ib]). Template: T (f32 | i32), OP (b_<op> for
// float32, bi_<op> for int32), BROADCAST (false: all three share one shape, index i everywhere).
// ZERO_CHECK (int32 div/mod only): a zero divisor yields 0 and records the first such position in `err` ([0] tag,
// [1] position, [2] divisor), which the next readback reports as js/native report it (index-errors.ts).
// params: [0] count, [1] rank, [2] tag (ZERO_CHECK), [4..12) out shape, [12..20) a strides, [20..28) b strides
// (0 on broadcast dims).
@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;
#if ZERO_CHECK
@group(0) @binding(4) var<storage, read_write> err: array<atomic<u32>, 4>;
var<private> position: u32;

fn reportZero() {
  if (atomicCompareExchangeWeak(&err[0], 0u, P(2)).exchanged) { atomicStore(&err[1], position); }
}
#else
fn reportZero() {}
#endif

fn b_add(x: f32, y: f32) -> f32 { return x + y; }
fn b_sub(x: f32, y: f32) -> f32 { return x - y; }
fn b_mul(x: f32, y: f32) -> f32 { return x * y; }
fn b_div(x: f32, y: f32) -> f32 { return x / y; }
// Math.pow semantics: x^0 = 1, negative bases only with integer exponents (sign from parity), 0^-y = inf.
fn b_pow(x: f32, y: f32) -> f32 {
  if (y == 0.0) { return 1.0; }
  if (isNan(x) || isNan(y)) { return f32NaN(); }
  let ax = abs(x);
  if (ax == 0.0) { return select(0.0, f32Inf(), y < 0.0); }
  var r = pow(ax, y);
  if (x < 0.0) {
    if (floor(y) != y) { return f32NaN(); }
    let ay = abs(y);
    if (ay < 16777216.0 && (u32(ay) & 1u) == 1u) { r = -r; }
  }
  return r;
}
fn b_minimum(x: f32, y: f32) -> f32 { if (isNan(x) || isNan(y)) { return f32NaN(); } return min(x, y); }
fn b_maximum(x: f32, y: f32) -> f32 { if (isNan(x) || isNan(y)) { return f32NaN(); } return max(x, y); }
fn b_mod(x: f32, y: f32) -> f32 { return x - y * floor(x / y); }
fn b_eq(x: f32, y: f32) -> f32 { return select(0.0, 1.0, x == y); }
fn b_ne(x: f32, y: f32) -> f32 { return select(1.0, 0.0, x == y); }
fn b_lt(x: f32, y: f32) -> f32 { return select(0.0, 1.0, x < y); }
fn b_le(x: f32, y: f32) -> f32 { return select(0.0, 1.0, x <= y); }
fn b_gt(x: f32, y: f32) -> f32 { return select(0.0, 1.0, x > y); }
fn b_ge(x: f32, y: f32) -> f32 { return select(0.0, 1.0, x >= y); }

// int32: wrapping arithmetic; div truncates and mod is the C remainder; a zero divisor gives 0 and is reported
// (ZERO_CHECK above).
fn bi_add(x: i32, y: i32) -> i32 { return x + y; }
fn bi_sub(x: i32, y: i32) -> i32 { return x - y; }
fn bi_mul(x: i32, y: i32) -> i32 { return x * y; }
fn bi_div(x: i32, y: i32) -> i32 { if (y == 0) { reportZero(); return 0; } return x / y; }
fn bi_mod(x: i32, y: i32) -> i32 { if (y == 0) { reportZero(); return 0; } return x % y; }
// Integer power by squaring; negative exponents follow the truncated real result (only |x| = 1 is non-zero).
fn bi_pow(x: i32, y: i32) -> i32 {
  if (y < 0) {
    if (x == 1) { return 1; }
    if (x == -1) { return select(1, -1, (y & 1) == 1); }
    return 0;
  }
  var base = x;
  var e = u32(y);
  var r = 1;
  while (e > 0u) {
    if ((e & 1u) == 1u) { r = r * base; }
    base = base * base;
    e = e >> 1u;
  }
  return r;
}
fn bi_minimum(x: i32, y: i32) -> i32 { return min(x, y); }
fn bi_maximum(x: i32, y: i32) -> i32 { return max(x, y); }
fn bi_eq(x: i32, y: i32) -> i32 { return select(0, 1, x == y); }
fn bi_ne(x: i32, y: i32) -> i32 { return select(0, 1, x != y); }
fn bi_lt(x: i32, y: i32) -> i32 { return select(0, 1, x < y); }
fn bi_le(x: i32, y: i32) -> i32 { return select(0, 1, x <= y); }
fn bi_gt(x: i32, y: i32) -> i32 { return select(0, 1, x > y); }
fn bi_ge(x: i32, y: i32) -> i32 { return select(0, 1, x >= y); }

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
#if ZERO_CHECK
  position = i;
#endif
#if BROADCAST
  let o = stridedOffsets(i, vec3<u32>(0u));
  out[i] = {{OP}}(a[o.x], b[o.y]);
#else
  out[i] = {{OP}}(a[i], b[i]);
#endif
}
