// Counter-based random numbers: element i uses the Philox4x32-10 block with key (seedLo, seedHi) and counter
// (offset + i) split into 32-bit words — bit-identical to src/backends/philox.ts (see RandomParams in kernels.ts).
// Template: T (output f32 | i32), DIST (0 uniform, 1 normal, 2 randint).
// params: [0] size, [1] seedLo, [2] seedHi, [3] offsetLo, [4] offsetHi, [5] a (f32 bits; randint: low as i32),
//         [6] b (uniform: high − low as f32; normal: std; randint: high − low as u32).
@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;

const DIST = {{DIST}}u;

// High 32 bits of a 32×32-bit product. WGSL has no 64-bit integers, so split into 16-bit limbs: every partial
// product and the middle sum fit in 32 bits.
fn mulhi32(a: u32, b: u32) -> u32 {
  let aL = a & 0xffffu;
  let aH = a >> 16u;
  let bL = b & 0xffffu;
  let bH = b >> 16u;
  let lolo = aL * bL;
  let lohi = aL * bH;
  let hilo = aH * bL;
  let hihi = aH * bH;
  let mid = (lolo >> 16u) + (lohi & 0xffffu) + (hilo & 0xffffu);
  return hihi + (lohi >> 16u) + (hilo >> 16u) + (mid >> 16u);
}

fn philox(c0: u32, c1: u32, k0: u32, k1: u32) -> vec4<u32> {
  var x = vec4<u32>(c0, c1, 0u, 0u);
  var key0 = k0;
  var key1 = k1;
  for (var r = 0u; r < 10u; r++) {
    let hi0 = mulhi32(0xd2511f53u, x.x);
    let lo0 = 0xd2511f53u * x.x;
    let hi1 = mulhi32(0xcd9e8d57u, x.z);
    let lo1 = 0xcd9e8d57u * x.z;
    x = vec4<u32>(hi1 ^ x.y ^ key0, lo1, hi0 ^ x.w ^ key1, lo0);
    key0 += 0x9e3779b9u;
    key1 += 0xbb67ae85u;
  }
  return x;
}

const TWO_POW_M24: f32 = 5.9604644775390625e-8;

fn draw(w: vec4<u32>) -> {{T}} {
  if (DIST == 2u) {
    return {{T}}(PI(5) + bitcast<i32>(mulhi32(w.x, P(6))));
  }
  if (DIST == 1u) {
    let u1 = f32((w.x >> 8u) + 1u) * TWO_POW_M24;
    let u2 = f32(w.y >> 8u) * TWO_POW_M24;
    return {{T}}(PF(5) + PF(6) * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
  }
  return {{T}}(PF(5) + PF(6) * (f32(w.x >> 8u) * TWO_POW_M24));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  let lo = P(3) + i;
  let hi = P(4) + select(0u, 1u, lo < i); // carry out of the low word
  out[i] = draw(philox(lo, hi, P(1), P(2)));
}
