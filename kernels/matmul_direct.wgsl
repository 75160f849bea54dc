// GEMM without workgroup memory, for software adapters (lavapipe/llvmpipe): there "workgroup memory" is ordinary
// memory, the CPU caches already give the reuse that staging tiles buys on a GPU, and every workgroupBarrier()
// costs a switch between the coroutines that run a workgroup's SIMD batches. Each thread reads its operands
// straight from the storage buffers (vec4 along k for a, vec4 along n for b) and keeps a TM × 4·TN4 block of
// outputs in registers. A workgroup is WG_X × WG_Y threads; llvmpipe runs consecutive invocations as the lanes
// of one SIMD vector, so lanes differ in x → neighbouring columns: their b loads are contiguous and their a loads
// are the same address.
// Template: WG_X, WG_Y, TM, TN4, CHECK (M or N not a multiple of the block), HAS_BIAS, ACT.
// Needs: a stored [M, K] and b stored [K, N] (no transposes), K % 4 == 0, N % 4 == 0.
// Workgroup grid: x → column blocks (BN = WG_X·TN4·4), y → row blocks (BM = WG_Y·TM), z → batch entry.
// params: [0] M, [1] N, [2] K, [3] a batch stride, [4] b batch stride (0 broadcasts one matrix).
const WG_X = {{WG_X}}u;
const WG_Y = {{WG_Y}}u;
const TM = {{TM}}u;
const TN4 = {{TN4}}u;
const BM = WG_Y * TM;
const BN4 = WG_X * TN4;
const CHECK = {{CHECK}};

@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
#if HAS_BIAS
@group(0) @binding(3) var<storage, read> bias: array<vec4<f32>>;
#endif
@group(0) @binding(4) var<storage, read_write> c: array<vec4<f32>>;

fn epilogue(v: vec4<f32>) -> vec4<f32> {
  return vec4<f32>({{ACT}}(v.x), {{ACT}}(v.y), {{ACT}}(v.z), {{ACT}}(v.w));
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = P(0);
  let N = P(1);
  let K = P(2);
  let N4 = N / 4u;
  let K4 = K / 4u;
  let aBase = wid.z * P(3) / 4u;
  let bBase = wid.z * P(4) / 4u;
  let cBase = wid.z * M * N4;
  let m0 = wid.y * BM + lid.y * TM;
  let n4 = wid.x * BN4 + lid.x;
  // Row offsets into a (clamped to the last row where the block overhangs M: those results are not stored).
  var aRow: array<u32, TM>;
  for (var i = 0u; i < TM; i++) { aRow[i] = aBase + min(m0 + i, M - 1u) * K4; }
  var bCol: array<u32, TN4>;
  for (var j = 0u; j < TN4; j++) { bCol[j] = bBase + min(n4 + j * WG_X, N4 - 1u); }
  var acc: array<vec4<f32>, TM * TN4>;
  for (var k4 = 0u; k4 < K4; k4++) {
    var av: array<vec4<f32>, TM>;
    for (var i = 0u; i < TM; i++) { av[i] = a[aRow[i] + k4]; }
    for (var q = 0u; q < 4u; q++) {
      let bRow = (k4 * 4u + q) * N4;
      var bv: array<vec4<f32>, TN4>;
      for (var j = 0u; j < TN4; j++) { bv[j] = b[bRow + bCol[j]]; }
      for (var i = 0u; i < TM; i++) {
        let s = vec4<f32>(av[i][q]);
        for (var j = 0u; j < TN4; j++) { acc[i * TN4 + j] = fma(s, bv[j], acc[i * TN4 + j]); }
      }
    }
  }
  for (var i = 0u; i < TM; i++) {
    let row = m0 + i;
    if (CHECK && row >= M) { break; }
    for (var j = 0u; j < TN4; j++) {
      let col4 = n4 + j * WG_X;
      if (CHECK && col4 >= N4) { continue; }
      var v = acc[i * TN4 + j];
#if HAS_BIAS
      v += bias[col4];
#endif
      c[cBase + row * N4 + col4] = epilogue(v);
    }
  }
}
