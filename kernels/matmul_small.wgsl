// GEMM for small outputs with a long K (M = 1 matrix-vector products and the like), where output tiles alone
// cannot keep the device busy: split K. Pass `partial`: a workgroup of 256 threads covers NCOL output columns
// of one row with KLANES threads per column over one K chunk (lanes run along the stored contiguous dimension
// of b: along n for b [K, N], along k for transposed b [N, K]), then sums its lanes with a shared-memory tree.
// Pass `finish`: one thread per output sums the chunks in order (deterministic, unlike atomics), adds the bias
// and applies the activation.
// Template: TRANS_A, TRANS_B, NCOL, KLANES (NCOL·KLANES = 256), HAS_BIAS, ACT.
// params: [0] M, [1] N, [2] K, [3] a batch stride, [4] b batch stride, [5] splits, [6] chunk, [7] rows (batch·M).
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read> partialsIn: array<f32>;
#if HAS_BIAS
@group(0) @binding(5) var<storage, read> bias: array<f32>;
#endif
@group(0) @binding(6) var<storage, read_write> c: array<f32>;

const NCOL = {{NCOL}}u;
const KLANES = {{KLANES}}u;
var<workgroup> red: array<f32, 256>;

// Workgroup grid: x → column blocks, y → K chunk, z → row of the batched output (batch · M + m).
@compute @workgroup_size(256)
fn partial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = P(0);
  let N = P(1);
  let K = P(2);
#if TRANS_B
  let colInBlock = lid / KLANES;
  let lane = lid % KLANES;
#else
  let colInBlock = lid % NCOL;
  let lane = lid / NCOL;
#endif
  let n = wid.x * NCOL + colInBlock;
  let r = wid.z;
  let batch = r / M;
  let m = r % M;
  let aBase = batch * P(3);
  let bBase = batch * P(4);
  let kBegin = wid.y * P(6);
  let kEnd = min(K, kBegin + P(6));
  var acc = 0.0;
  if (n < N) {
    for (var k = kBegin + lane; k < kEnd; k += KLANES) {
#if TRANS_A
      let av = a[aBase + k * M + m];
#else
      let av = a[aBase + m * K + k];
#endif
#if TRANS_B
      let bv = b[bBase + n * K + k];
#else
      let bv = b[bBase + k * N + n];
#endif
      acc = fma(av, bv, acc);
    }
  }
  let slot = colInBlock * KLANES + lane;
  red[slot] = acc;
  workgroupBarrier();
  for (var s = KLANES / 2u; s > 0u; s = s / 2u) {
    if (lane < s) { red[slot] = red[slot] + red[slot + s]; }
    workgroupBarrier();
  }
  if (lane == 0u && n < N) { partials[(wid.y * P(7) + r) * N + n] = red[slot]; }
}

@compute @workgroup_size(256)
fn finish(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = linearIndex(gid, nwg, 256u);
  let total = P(7) * P(1);
  if (o >= total) { return; }
  var sum = 0.0;
  for (var s = 0u; s < P(5); s++) { sum += partialsIn[s * total + o]; }
#if HAS_BIAS
  sum += bias[o % P(1)];
#endif
  c[o] = {{ACT}}(sum);
}
