// Binary cross-entropy with logits, elementwise over same-sized logits x and targets y.
// forward: max(x, 0) − x·y + log1p(e^−|x|) (stable for any x); grad: sigmoid(x) − y.
// params: [0] count.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  let v = x[i];
  out[i] = max(v, 0.0) - v * y[i] + log1pf(exp(-abs(v)));
}

@compute @workgroup_size(256)
fn grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = linearIndex(gid, nwg, 256u);
  if (i >= P(0)) { return; }
  out[i] = sigmoidf(x[i]) - y[i];
}
