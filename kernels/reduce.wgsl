// Reductions of x viewed as [outer, n, inner] over n; out is [outer, inner]. Template: T (input type), TO
// (output type: T, or i32 for argmax/argmin), OP (sum | prod | max | min | argmax | argmin), WG (threads).
// Two strategies, both deterministic: `serial` runs one thread per output (many outputs, short n); `tree` runs
// one workgroup per output, each thread striding over n, then a shared-memory tree (long n, few outputs).
// max/min/argmax/argmin: NaN counts as the extreme; ties go to the first index.
// params: [0] outputs (outer·inner), [1] n, [2] inner.
@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{TO}}>;

const OP_SUM = 0u;
const OP_PROD = 1u;
const OP_MAX = 2u;
const OP_MIN = 3u;
const OP_ARGMAX = 4u;
const OP_ARGMIN = 5u;
const OP = {{OP}}u;
const WG = {{WG}}u;

struct Acc { v: {{T}}, i: i32 }

fn nanT(v: {{T}}) -> bool {
#if FLOAT
  return isNan(v);
#else
  return false;
#endif
}

fn identity() -> Acc {
  if (OP == OP_PROD) { return Acc({{T}}(1), 0); }
  return Acc({{T}}(0), -1);
}

// Whether a (index a.i) wins over b for max/min: NaN first, then the extreme value, then the smaller index.
fn wins(a: Acc, b: Acc) -> bool {
  if (b.i < 0) { return true; }
  if (a.i < 0) { return false; }
  let an = nanT(a.v);
  let bn = nanT(b.v);
  if (an || bn) { return select(false, a.i < b.i, an && bn) || (an && !bn); }
  if (a.v == b.v) { return a.i < b.i; }
  if (OP == OP_MAX || OP == OP_ARGMAX) { return a.v > b.v; }
  return a.v < b.v;
}

fn combine(a: Acc, b: Acc) -> Acc {
  if (OP == OP_SUM) { return Acc(a.v + b.v, 0); }
  if (OP == OP_PROD) { return Acc(a.v * b.v, 0); }
  if (wins(a, b)) { return a; }
  return b;
}

fn result(a: Acc) -> {{TO}} {
#if ARG
  return a.i;
#else
  return a.v;
#endif
}

fn elementIndex(o: u32, j: u32) -> u32 {
  let inner = P(2);
  return ((o / inner) * P(1) + j) * inner + (o % inner);
}

@compute @workgroup_size(WG)
fn serial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = linearIndex(gid, nwg, WG);
  if (o >= P(0)) { return; }
  var acc = identity();
  for (var j = 0u; j < P(1); j++) {
    acc = combine(acc, Acc(x[elementIndex(o, j)], i32(j)));
  }
  out[o] = result(acc);
}

var<workgroup> partials: array<Acc, WG>;

@compute @workgroup_size(WG)
fn tree(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let o = linearGroup(wid, nwg);
  let inBounds = o < P(0);
  var acc = identity();
  if (inBounds) {
    for (var j = lid; j < P(1); j += WG) {
      acc = combine(acc, Acc(x[elementIndex(o, j)], i32(j)));
    }
  }
  partials[lid] = acc;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride = stride / 2u) {
    if (lid < stride) { partials[lid] = combine(partials[lid], partials[lid + stride]); }
    workgroupBarrier();
  }
  if (lid == 0u && inBounds) { out[o] = result(partials[0]); }
}
