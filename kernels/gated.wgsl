// gatedMixture, forward and backward, one kernel each. experts [E, B, D], gateLogits / weights [B, E].
// Template: E (the expert count, a compile-time constant so per-expert values live in registers), WG.

// ---- forward: weights = softmax(gateLogits) per row; out[b, :] = Σ_e weights[b, e] · experts[e, b, :].
// One thread per (b, d): each recomputes its row's softmax (E is small, and the weighted sum costs O(E) anyway),
// so no shared memory and no second pass; the d = 0 thread also writes the row's weights.
// params: [0] B, [1] D.
@group(0) @binding(1) var<storage, read> experts: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read_write> weightsOut: array<f32>;

const E = {{E}}u;
const WG = {{WG}}u;

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = linearIndex(gid, nwg, WG);
  let B = P(0);
  let D = P(1);
  if (t >= B * D) { return; }
  let b = t / D;
  let d = t % D;
  var w: array<f32, E>;
  var m = -f32Inf();
  for (var e = 0u; e < E; e++) {
    w[e] = logits[b * E + e];
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
    acc += w[e] * experts[(e * B + b) * D + d];
  }
  out[t] = acc;
  if (d == 0u) {
    for (var e = 0u; e < E; e++) { weightsOut[b * E + e] = w[e]; }
  }
}

// ---- backward: gExperts[e, b, :] = w[b, e] · gOut[b, :];
// gLogits[b, e] = w[b, e] · (⟨gOut[b], experts[e, b]⟩ − Σ_e' w[b, e'] · ⟨gOut[b], experts[e', b]⟩).
// One workgroup per row b: threads stride over d, write gExperts and accumulate the E dot products in
// registers; one shared-memory tree reduction per expert; then the first threads write the row's gLogits.
// params: [0] B, [1] D.
@group(0) @binding(5) var<storage, read> gOut: array<f32>;
@group(0) @binding(6) var<storage, read> weights: array<f32>;
@group(0) @binding(7) var<storage, read_write> gExperts: array<f32>;
@group(0) @binding(8) var<storage, read_write> gLogits: array<f32>;

var<workgroup> red: array<f32, WG>;
var<workgroup> dots: array<f32, E>;

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let b = linearGroup(wid, nwg);
  let B = P(0);
  let D = P(1);
  let inBounds = b < B;
  var partial: array<f32, E>;
  if (inBounds) {
    var w: array<f32, E>;
    for (var e = 0u; e < E; e++) { w[e] = weights[b * E + e]; partial[e] = 0.0; }
    for (var d = lid; d < D; d += WG) {
      let g = gOut[b * D + d];
      for (var e = 0u; e < E; e++) {
        let at = (e * B + b) * D + d;
        partial[e] += g * experts[at];
        gExperts[at] = w[e] * g;
      }
    }
  }
  for (var e = 0u; e < E; e++) {
    red[lid] = partial[e];
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
      if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
      workgroupBarrier();
    }
    if (lid == 0u) { dots[e] = red[0]; }
    workgroupBarrier();
  }
  if (!inBounds) { return; }
  var mean = 0.0;
  for (var e = 0u; e < E; e++) { mean += weights[b * E + e] * dots[e]; }
  for (var e = lid; e < E; e += WG) { gLogits[b * E + e] = weights[b * E + e] * (dots[e] - mean); }
}
