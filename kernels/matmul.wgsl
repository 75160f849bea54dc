// Tiled GEMM: c[batch] = ACT(op(a[batch]) @ op(b[batch]) + bias), logical A [M, K], B [K, N], C [M, N].
// A workgroup of WG_X × WG_Y threads computes a BM × BN tile (BM = WG_Y·TM, BN = WG_X·TN), staging TK-deep
// slices of A and B in workgroup memory; each thread keeps a TM × TN block of outputs in registers (register
// blocking: every value read from workgroup memory feeds TM or TN multiply-adds).
// Template (chosen per shape by src/backends/webgpu/ops/matmul-tuning.ts):
//   WG_X, WG_Y, TM, TN (multiples of 4), TK; TRANS_A (a stored [K, M]), TRANS_B (b stored [N, K]);
//   VEC_A / VEC_B: read as vec4 along the stored contiguous dimension (it is a multiple of 4, so every vec4 is
//   aligned and lies inside the matrix); VEC_C: write vec4 rows (N % 4 == 0);
//   CHECK: bounds checks — false when M, N, K divide the tile, and then the constant folds them away;
//   HAS_BIAS, ACT (act_none | act_relu | act_sigmoid | act_tanh | act_gelu from math.wgsl).
// Workgroup grid: x → column tiles, y → row tiles, z → batch entry.
// params: [0] M, [1] N, [2] K, [3] a batch stride, [4] b batch stride (0 broadcasts one matrix).
const WG_X = {{WG_X}}u;
const WG_Y = {{WG_Y}}u;
const TM = {{TM}}u;
const TN = {{TN}}u;
const TK = {{TK}}u;
const NT = WG_X * WG_Y;
const BM = WG_Y * TM;
const BN = WG_X * TN;
const BM4 = BM / 4u;
const BN4 = BN / 4u;
const TM4 = TM / 4u;
const TN4 = TN / 4u;
const TK4 = TK / 4u;
const CHECK = {{CHECK}};

#if VEC_A
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> a: array<f32>;
#endif
#if VEC_B
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read> b: array<f32>;
#endif
#if HAS_BIAS
#if VEC_C
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
#else
@group(0) @binding(3) var<storage, read> bias: array<f32>;
#endif
#endif
#if VEC_C
@group(0) @binding(4) var<storage, read_write> c: array<vec4<f32>>;
#else
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
#endif

// Tiles in workgroup memory, k-major: As[k][m / 4], Bs[k][n / 4], so the inner loop reads vec4s.
var<workgroup> As: array<vec4<f32>, TK * BM4>;
var<workgroup> Bs: array<vec4<f32>, TK * BN4>;

fn loadTileA(lid: u32, base: u32, m0: u32, k0: u32) {
  let M = P(0);
  let K = P(2);
#if VEC_A
#if TRANS_A
  // stored [K, M]: vec4 along m, copied as is
  for (var l = 0u; l < BM4 * TK / NT; l++) {
    let idx = lid + l * NT;
    let kk = idx / BM4;
    let mq = idx % BM4;
    let k = k0 + kk;
    let m = m0 + mq * 4u;
    var v = vec4<f32>(0.0);
    if (!CHECK || (k < K && m < M)) { v = a[(base + k * M + m) / 4u]; }
    As[kk * BM4 + mq] = v;
  }
#else
  // stored [M, K]: vec4 along k, transposed into As
  for (var l = 0u; l < BM * TK4 / NT; l++) {
    let idx = lid + l * NT;
    let row = idx / TK4;
    let kq = idx % TK4;
    let m = m0 + row;
    let k = k0 + kq * 4u;
    var v = vec4<f32>(0.0);
    if (!CHECK || (m < M && k < K)) { v = a[(base + m * K + k) / 4u]; }
    for (var q = 0u; q < 4u; q++) { As[(kq * 4u + q) * BM4 + row / 4u][row % 4u] = v[q]; }
  }
#endif
#else
  // scalar loads, consecutive threads along the stored contiguous dimension
  for (var l = 0u; l < BM * TK / NT; l++) {
    let idx = lid + l * NT;
#if TRANS_A
    let kk = idx / BM;
    let row = idx % BM;
#else
    let row = idx / TK;
    let kk = idx % TK;
#endif
    let m = m0 + row;
    let k = k0 + kk;
    var v = 0.0;
    if (!CHECK || (m < M && k < K)) {
#if TRANS_A
      v = a[base + k * M + m];
#else
      v = a[base + m * K + k];
#endif
    }
    As[kk * BM4 + row / 4u][row % 4u] = v;
  }
#endif
}

fn loadTileB(lid: u32, base: u32, n0: u32, k0: u32) {
  let N = P(1);
  let K = P(2);
#if VEC_B
#if TRANS_B
  // stored [N, K]: vec4 along k, transposed into Bs
  for (var l = 0u; l < BN * TK4 / NT; l++) {
    let idx = lid + l * NT;
    let col = idx / TK4;
    let kq = idx % TK4;
    let n = n0 + col;
    let k = k0 + kq * 4u;
    var v = vec4<f32>(0.0);
    if (!CHECK || (n < N && k < K)) { v = b[(base + n * K + k) / 4u]; }
    for (var q = 0u; q < 4u; q++) { Bs[(kq * 4u + q) * BN4 + col / 4u][col % 4u] = v[q]; }
  }
#else
  // stored [K, N]: vec4 along n, copied as is
  for (var l = 0u; l < BN4 * TK / NT; l++) {
    let idx = lid + l * NT;
    let kk = idx / BN4;
    let nq = idx % BN4;
    let k = k0 + kk;
    let n = n0 + nq * 4u;
    var v = vec4<f32>(0.0);
    if (!CHECK || (k < K && n < N)) { v = b[(base + k * N + n) / 4u]; }
    Bs[kk * BN4 + nq] = v;
  }
#endif
#else
  for (var l = 0u; l < BN * TK / NT; l++) {
    let idx = lid + l * NT;
#if TRANS_B
    let col = idx / TK;
    let kk = idx % TK;
#else
    let kk = idx / BN;
    let col = idx % BN;
#endif
    let n = n0 + col;
    let k = k0 + kk;
    var v = 0.0;
    if (!CHECK || (n < N && k < K)) {
#if TRANS_B
      v = b[base + n * K + k];
#else
      v = b[base + k * N + n];
#endif
    }
    Bs[kk * BN4 + col / 4u][col % 4u] = v;
  }
#endif
}

fn epilogue(v: vec4<f32>) -> vec4<f32> {
  return vec4<f32>({{ACT}}(v.x), {{ACT}}(v.y), {{ACT}}(v.z), {{ACT}}(v.w));
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let M = P(0);
  let N = P(1);
  let K = P(2);
  let aBase = wid.z * P(3);
  let bBase = wid.z * P(4);
  let cBase = wid.z * M * N;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let tx = lid3.x;
  let ty = lid3.y;
  // This thread's outputs: rows ty·TM + i (i < TM), columns 4·(j·WG_X + tx) + 0..3 (j < TN/4). Interleaving
  // the column groups makes neighbouring threads read neighbouring vec4s of Bs.
  var acc: array<vec4<f32>, TM * TN4>;
  let kTiles = (K + TK - 1u) / TK;
  for (var t = 0u; t < kTiles; t++) {
    loadTileA(lid, aBase, m0, t * TK);
    loadTileB(lid, bBase, n0, t * TK);
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var av: array<vec4<f32>, TM4>;
      for (var i = 0u; i < TM4; i++) { av[i] = As[kk * BM4 + ty * TM4 + i]; }
      var bv: array<vec4<f32>, TN4>;
      for (var j = 0u; j < TN4; j++) { bv[j] = Bs[kk * BN4 + j * WG_X + tx]; }
      for (var i = 0u; i < TM; i++) {
        let s = vec4<f32>(av[i / 4u][i % 4u]);
        for (var j = 0u; j < TN4; j++) { acc[i * TN4 + j] = fma(s, bv[j], acc[i * TN4 + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let row = m0 + ty * TM + i;
    if (CHECK && row >= M) { break; }
    for (var j = 0u; j < TN4; j++) {
      let col = n0 + (j * WG_X + tx) * 4u;
      var v = acc[i * TN4 + j];
#if VEC_C
      if (CHECK && col >= N) { continue; }
#if HAS_BIAS
      v += bias[col / 4u];
#endif
      c[(cBase + row * N + col) / 4u] = epilogue(v);
#else
#if HAS_BIAS
      for (var q = 0u; q < 4u; q++) { if (col + q < N) { v[q] += bias[col + q]; } }
#endif
      v = epilogue(v);
      for (var q = 0u; q < 4u; q++) {
        if (col + q < N) { c[cBase + row * N + col + q] = v[q]; }
      }
#endif
    }
  }
}
