// scatterAdd: out [outer, n, inner] = zeros + src [outer, m, inner] added at rows indices[j] (duplicates sum).
// WGSL has no float atomics, and a compare-and-swap loop would sum duplicates in a racy (non-deterministic)
// order. Instead, deterministically, in two passes:
//  1. `link`: one thread per position j finds next[j], the next position with the same index (or m), and marks
//     that position as having a predecessor. O(m) per thread, O(m²) total, independent of outer and inner.
//  2. `accumulate`: one thread per (outer, chain head j, inner) walks its chain in increasing j and writes the sum
//     once: each output row is written by exactly one thread, in the same order as a sequential loop, so the
//     result is bit-identical to the reference. Rows no index points to stay zero (the output is cleared first).
// Indices outside [0, n) are skipped (their contributions are dropped): a shader cannot throw, so the first one is
// recorded in `err` ([0] tag, [1] position, [2] index) for the next readback to report (index-errors.ts).
// Template: T (f32 | i32). params: [0] m, [1] n, [2] inner, [3] count (outer·m·inner, accumulate only),
// [4] tag (accumulate only).
@group(0) @binding(1) var<storage, read> indices: array<i32>;
// links[j] = next position in j's chain (m at the end); links[m + j] = 1 when some position links to j.
@group(0) @binding(2) var<storage, read_write> links: array<u32>;
@group(0) @binding(3) var<storage, read> linksIn: array<u32>;
@group(0) @binding(4) var<storage, read> src: array<{{T}}>;
@group(0) @binding(5) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(6) var<storage, read_write> err: array<atomic<u32>, 4>;

@compute @workgroup_size(256)
fn link(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = linearIndex(gid, nwg, 256u);
  let m = P(0);
  if (j >= m) { return; }
  let idx = indices[j];
  var next = m;
  for (var k = j + 1u; k < m; k++) {
    if (indices[k] == idx) { next = k; break; }
  }
  links[j] = next;
  if (next < m) { links[m + next] = 1u; }
}

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = linearIndex(gid, nwg, 256u);
  if (t >= P(3)) { return; }
  let m = P(0);
  let n = P(1);
  let inner = P(2);
  let rowLen = m * inner;
  let outerIdx = t / rowLen;
  let rem = t % rowLen;
  let j = rem / inner;
  let col = rem % inner;
  let idx = indices[j];
  if (linksIn[m + j] != 0u) { return; }
  if (idx < 0 || u32(idx) >= n) {
    if (atomicCompareExchangeWeak(&err[0], 0u, P(4)).exchanged) {
      atomicStore(&err[1], j);
      atomicStore(&err[2], bitcast<u32>(idx));
    }
    return;
  }
  var acc = {{T}}(0);
  var k = j;
  while (k < m) {
    acc += src[(outerIdx * m + k) * inner + col];
    k = linksIn[k];
  }
  out[(outerIdx * n + u32(idx)) * inner + col] = acc;
}
