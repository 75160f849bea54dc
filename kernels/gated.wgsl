// gatedMixture, forward and backward, one kernel each. T gate sets (tasks) share E experts: gateLogits / weights
// [T, B, E], out / gOut [T, B, D]; expert e's row for batch row b, x[e, b, :], starts at e · strideE + b · strideB
// (layout 'EBD': strideE = B·D, strideB = D; 'BED': strideE = D, strideB = E·D), and gExperts has the same layout.
// Template: E (experts) and T (tasks), compile-time constants so per-expert / per-task values live in registers;
// WG (workgroup size); C (backward: how many of the T·E dot products one shared-memory reduction pass carries);
// RELU (MixtureParams.activation 'relu'): x = relu(experts) as the values are read, and the backward's gExperts
// is masked to where experts > 0 (the gradient with respect to the pre-activation experts).

@group(0) @binding(1) var<storage, read> experts: array<f32>;

const E = {{E}}u;
const T = {{T}}u;
const K = T * E;
const WG = {{WG}}u;
const C = {{C}}u;

// x = act(v): the experts' fused activation. 'relu' is written as select(v, 0, v <= 0) so a NaN passes through
// where the comparison is IEEE (as in the js reference; not guaranteed on every GPU). actMask(v, g): g where the
// activation's derivative at v is 1 (v > 0, or NaN) and 0 elsewhere; g itself for 'none'.
#if RELU
fn act(v: f32) -> f32 { return select(v, 0.0, v <= 0.0); }
fn actMask(v: f32, g: f32) -> f32 { return select(g, 0.0, v <= 0.0); }
#else
fn act(v: f32) -> f32 { return v; }
fn actMask(v: f32, g: f32) -> f32 { return g; }
#endif

// ---- forward: weights[t, b, :] = softmax(gateLogits[t, b, :]); out[t, b, :] = Σ_e weights[t, b, e] · x[e, b, :].
// One thread per (b, d): it reads its E expert values x[·, b, d] once, then for each task recomputes the row's
// softmax (E is small, and the weighted sum costs O(E) anyway) and writes out[t, b, d]: no shared memory, no
// second pass, and the experts are read once however many tasks there are. The d = 0 thread also writes the
// weights. With D = 0 the host runs one thread per row (DT = 1) so the weights are still written.
// params: [0] B, [1] D, [2] DT = max(D, 1) (threads per row), [3] strideE, [4] strideB.
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> weightsOut: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, WG);
  let B = P(0);
  let D = P(1);
  let DT = P(2);
  if (i >= B * DT) { return; }
  let b = i / DT;
  let d = i % DT;
  let hasOut = d < D;
  var x: array<f32, E>;
  if (hasOut) {
    let base = b * P(4) + d;
    let strideE = P(3);
    for (var e = 0u; e < E; e++) { x[e] = act(experts[e * strideE + base]); }
  }
  for (var t = 0u; t < T; t++) {
    let row = t * B + b;
    var w: array<f32, E>;
    var m = -f32Inf();
    for (var e = 0u; e < E; e++) {
      w[e] = logits[row * E + e];
      m = max(m, w[e]);
    }
    var sum = 0.0;
    for (var e = 0u; e < E; e++) {
      w[e] = exp(w[e] - m);
      sum += w[e];
    }
    let inv = 1.0 / sum;
    var acc = 0.0;
    for (var e = 0u; e < E; e++) {
      w[e] = w[e] * inv;
      acc += w[e] * x[e];
    }
    if (hasOut) { out[row * D + d] = acc; }
    if (d == 0u) {
      for (var e = 0u; e < E; e++) { weightsOut[row * E + e] = w[e]; }
    }
  }
}

// ---- backward: gExperts x[e, b, :] = Σ_t w[t, b, e] · gOut[t, b, :] (one gradient summed over the tasks; with
// RELU, zero where experts[e, b, :] ≤ 0);
// gLogits[t, b, e] = w[t, b, e] · (⟨gOut[t, b], x[e, b]⟩ − Σ_e' w[t, b, e'] · ⟨gOut[t, b], x[e', b]⟩).
// One workgroup per row b. The row's T·E weights go to shared memory; threads stride over d, read gOut[·, b, d]
// for every task, accumulate the T·E dot products in registers and write gExperts. Then the partial dot products
// are summed over the workgroup C at a time (C tree reductions side by side, one barrier per level), and the
// threads write the row's T·E gLogits.
// params: [0] B, [1] D, [2] strideE, [3] strideB.
@group(0) @binding(5) var<storage, read> gOut: array<f32>;
@group(0) @binding(6) var<storage, read> weights: array<f32>;
@group(0) @binding(7) var<storage, read_write> gExperts: array<f32>;
@group(0) @binding(8) var<storage, read_write> gLogits: array<f32>;

var<workgroup> red: array<f32, C * WG>;
var<workgroup> dots: array<f32, K>;
var<workgroup> ws: array<f32, K>;

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let b = linearGroup(wid, nwg);
  let B = P(0);
  let D = P(1);
  let strideE = P(2);
  let strideB = P(3);
  let inBounds = b < B;
  // ws[t·E + e] = weights[t, b, e]
  if (inBounds) {
    for (var k = lid; k < K; k += WG) { ws[k] = weights[((k / E) * B + b) * E + k % E]; }
  }
  workgroupBarrier();
  var partial: array<f32, K>;
  for (var k = 0u; k < K; k++) { partial[k] = 0.0; }
  if (inBounds) {
    for (var d = lid; d < D; d += WG) {
      var g: array<f32, T>;
      for (var t = 0u; t < T; t++) { g[t] = gOut[(t * B + b) * D + d]; }
      for (var e = 0u; e < E; e++) {
        let at = e * strideE + b * strideB + d;
        let v = experts[at];
        let x = act(v);
        var acc = 0.0;
        for (var t = 0u; t < T; t++) {
          partial[t * E + e] += g[t] * x;
          acc += ws[t * E + e] * g[t];
        }
        gExperts[at] = actMask(v, acc);
      }
    }
  }
  for (var c0 = 0u; c0 < K; c0 += C) {
    let cn = min(C, K - c0);
    for (var k = 0u; k < cn; k++) { red[k * WG + lid] = partial[c0 + k]; }
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
      for (var j = lid; j < cn * s; j += WG) {
        let at = (j / s) * WG + j % s;
        red[at] = red[at] + red[at + s];
      }
      workgroupBarrier();
    }
    for (var k = lid; k < cn; k += WG) { dots[c0 + k] = red[k * WG]; }
    workgroupBarrier();
  }
  if (!inBounds) { return; }
  for (var k = lid; k < K; k += WG) {
    let t = k / E;
    var mean = 0.0;
    for (var e = 0u; e < E; e++) { mean += ws[t * E + e] * dots[t * E + e]; }
    gLogits[(t * B + b) * E + k % E] = ws[k] * (dots[k] - mean);
  }
}

// ---- backward for narrow experts (small D): one thread per row b, no shared memory, no barriers. The workgroup
// version above leaves most of its WG threads idle when D is a handful, and its tree reductions cost a barrier per
// level (on software adapters each barrier switches between all of the workgroup's invocations). Same formulas;
// the dot products are summed over d in order. params as backward's.
@compute @workgroup_size(WG)
fn backwardRows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = linearIndex(gid, nwg, WG);
  let B = P(0);
  let D = P(1);
  let strideE = P(2);
  let strideB = P(3);
  if (b >= B) { return; }
  var w: array<f32, K>;
  var dot: array<f32, K>;
  for (var k = 0u; k < K; k++) {
    w[k] = weights[((k / E) * B + b) * E + k % E];
    dot[k] = 0.0;
  }
  for (var d = 0u; d < D; d++) {
    var g: array<f32, T>;
    for (var t = 0u; t < T; t++) { g[t] = gOut[(t * B + b) * D + d]; }
    for (var e = 0u; e < E; e++) {
      let at = e * strideE + b * strideB + d;
      let v = experts[at];
      let x = act(v);
      var acc = 0.0;
      for (var t = 0u; t < T; t++) {
        dot[t * E + e] += g[t] * x;
        acc += w[t * E + e] * g[t];
      }
      gExperts[at] = actMask(v, acc);
    }
  }
  for (var t = 0u; t < T; t++) {
    var mean = 0.0;
    for (var e = 0u; e < E; e++) { mean += w[t * E + e] * dot[t * E + e]; }
    for (var e = 0u; e < E; e++) { gLogits[(t * B + b) * E + e] = w[t * E + e] * (dot[t * E + e] - mean); }
  }
}
