// Softmax / log-softmax along rows of x viewed as [rows, n]: one workgroup per row, shared-memory tree
// reductions for the row maximum (NaN propagates) and the sum of exponentials. Template: WG, LOG.
// params: [0] rows, [1] n.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

const WG = {{WG}}u;
var<workgroup> red: array<f32, WG>;

fn maxNan(a: f32, b: f32) -> f32 {
  if (isNan(a) || isNan(b)) { return f32NaN(); }
  return max(a, b);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = linearGroup(wid, nwg);
  let n = P(1);
  let inBounds = row < P(0);
  let base = row * n;
  var m = -f32Inf();
  if (inBounds) {
    for (var j = lid; j < n; j += WG) { m = maxNan(m, x[base + j]); }
  }
  red[lid] = m;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = maxNan(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let rowMax = red[0];
  workgroupBarrier();
  var sum = 0.0;
  if (inBounds) {
    for (var j = lid; j < n; j += WG) { sum += exp(x[base + j] - rowMax); }
  }
  red[lid] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  if (!inBounds) { return; }
#if LOG
  let logTotal = log(total);
  for (var j = lid; j < n; j += WG) { y[base + j] = x[base + j] - rowMax - logTotal; }
#else
  let inv = 1.0 / total;
  for (var j = lid; j < n; j += WG) { y[base + j] = exp(x[base + j] - rowMax) * inv; }
#endif
}
