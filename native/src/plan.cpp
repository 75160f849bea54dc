// runPlan(buffers, code): executes a captured step (src/compile/native-plan.ts) in one addon call. `buffers` is an
// array of typed arrays (the arena of temporaries, constants, parameters and state, inputs, outputs); `code` a
// Float64Array of instructions, each an opcode followed by its fields, where a buffer operand is two fields
// (buffer index, byte offset; index -1: none). Every shape and size was checked once, at capture, by the validating
// layer every kernel call goes through (src/backends/checked.ts); op, activation and distribution codes are the
// addon's own (opNames, and planNames below), so TypeScript keeps no table of them; what can change per replay
// (gather/scatter indices read from inputs) is checked here. Kernels are the ones the per-kernel bindings call, so
// results are bit-identical to eager.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bindings.h"
#include "cpu.h"
#include "gemm/gemm.h"
#include "kernel_table.h"
#include "napi_util.h"
#include "op_names.h"
#include "ops.h"
#include "thread_pool.h"

namespace mtgrad {
namespace {

enum PlanOp : int {
  P_END, P_SGEMM, P_UNARY, P_BINARY, P_BCE, P_REDUCE, P_SOFTMAX, P_COPY, P_MIXTURE, P_MIXTURE_BWD, P_ADAM, P_SGD,
  P_GATHER, P_SCATTER_ADD, P_CAST, P_RANDOM, P_WHERE, P_COMPARE_I32,
  P_SGEMM_GROUP,  // never encoded: the profile's name for products run as one group (run_gemm_group)
};

struct Reader {
  const double* code;
  size_t pos, len;
  const std::vector<char*>& bases;
  Napi::Env env;
  double num() {
    if (pos >= len) throw_range(env, "runPlan: truncated instruction stream");
    return code[pos++];
  }
  long i() { return static_cast<long>(num()); }
  bool b() { return num() != 0; }
  float f() { return static_cast<float>(num()); }
  template <typename T>
  T* ptr() {
    long buf = i();
    long off = i();
    if (buf < 0) return nullptr;
    if (static_cast<size_t>(buf) >= bases.size()) throw_range(env, "runPlan: buffer index out of range");
    return reinterpret_cast<T*>(bases[static_cast<size_t>(buf)] + off);
  }
  std::vector<long> longs(long n) {
    std::vector<long> v(static_cast<size_t>(n));
    for (auto& x : v) x = i();
    return v;
  }
};

// int32 comparisons and minimum/maximum with broadcasting (the native backend serves int32 binary ops with the js
// kernels; these are the exact ones: results 1/0 or an operand, so both agree bit for bit). `op` is a BinaryOp
// code (kernel_table.h), which the TypeScript side derives from opNames.binary like every other binary code.
// The odometer walks every output dimension but the last; the last runs as a tight loop per op (a [B, F] batch
// against a [F] row of sizes is F-element rows, not one odometer step per element).
template <typename F>
void compare_rows(F f, const int32_t* a, const int32_t* b, int32_t* y, const std::vector<long>& sa,
                  const std::vector<long>& sb, const std::vector<long>& os, long total) {
  const size_t nd = os.size();
  if (nd == 0) {
    if (total) y[0] = f(a[0], b[0]);
    return;
  }
  const long inner = os[nd - 1], sai = sa[nd - 1], sbi = sb[nd - 1];
  if (inner == 0) return;
  std::vector<long> idx(nd, 0);
  long ia = 0, ib = 0;
  for (long i = 0; i < total; i += inner) {
    for (long j = 0; j < inner; ++j) y[i + j] = f(a[ia + j * sai], b[ib + j * sbi]);
    for (size_t d = nd - 1; d-- > 0;) {  // odometer over the outer output index, moving both input offsets
      ia += sa[d]; ib += sb[d];
      if (++idx[d] < os[d]) break;
      ia -= sa[d] * os[d]; ib -= sb[d] * os[d];
      idx[d] = 0;
    }
  }
}

void compare_i32(int op, const int32_t* a, const int32_t* b, int32_t* y, const std::vector<long>& as,
                 const std::vector<long>& bs, const std::vector<long>& os) {
  const size_t nd = os.size();
  std::vector<long> sa(nd), sb(nd);
  long ka = 1, kb = 1, total = 1;
  for (size_t d = nd; d-- > 0;) {
    sa[d] = as[d] == 1 ? 0 : ka;
    sb[d] = bs[d] == 1 ? 0 : kb;
    ka *= as[d]; kb *= bs[d]; total *= os[d];
  }
  switch (op) {
    case B_MINIMUM: compare_rows([](int32_t x, int32_t z) { return x < z ? x : z; }, a, b, y, sa, sb, os, total); break;
    case B_MAXIMUM: compare_rows([](int32_t x, int32_t z) { return x > z ? x : z; }, a, b, y, sa, sb, os, total); break;
    case B_EQ: compare_rows([](int32_t x, int32_t z) { return int32_t(x == z); }, a, b, y, sa, sb, os, total); break;
    case B_NE: compare_rows([](int32_t x, int32_t z) { return int32_t(x != z); }, a, b, y, sa, sb, os, total); break;
    case B_LT: compare_rows([](int32_t x, int32_t z) { return int32_t(x < z); }, a, b, y, sa, sb, os, total); break;
    case B_LE: compare_rows([](int32_t x, int32_t z) { return int32_t(x <= z); }, a, b, y, sa, sb, os, total); break;
    case B_GT: compare_rows([](int32_t x, int32_t z) { return int32_t(x > z); }, a, b, y, sa, sb, os, total); break;
    case B_GE: compare_rows([](int32_t x, int32_t z) { return int32_t(x >= z); }, a, b, y, sa, sb, os, total); break;
    default: break;  // unreachable: checked before the call
  }
}

// An optimizer's optional row selection: rows pointer (none: every element), count, row size. The rows are an
// input that changes per replay (a captured lazy embedding update), so they are checked here, as the per-kernel
// binding checks them: -1 is padding (skipped), any other row outside [0, n / row_size) an error.
RowSel row_sel(Reader& r, size_t n, const char* kernel) {
  const int32_t* rows = r.ptr<int32_t>();
  long count = r.i(), row_size = r.i();
  if (!rows) return RowSel{false, nullptr, 0, 0};
  if (row_size <= 0 || n % static_cast<size_t>(row_size) != 0)
    throw_range(r.env, std::string("runPlan: ") + kernel + ": rowSize must divide the parameter size");
  long nrows = static_cast<long>(n / static_cast<size_t>(row_size));
  long bad = check_rows(rows, count, nrows);
  if (bad >= 0)
    throw_range(r.env, std::string(kernel) + ": row " + std::to_string(rows[bad]) + " at position " +
                           std::to_string(bad) + " is out of range [0, " + std::to_string(nrows) +
                           ") (-1: padding, skipped)");
  return RowSel{true, rows, count, row_size};
}

// Per-instruction timing, for finding where a replayed step spends its time: on when MTGRAD_PLAN_PROFILE is set
// (read once); planProfile() returns and clears it. Off, it costs one branch per instruction.
struct ProfileEntry {
  int op = 0;
  double ns = 0;
  long calls = 0;
  std::string what;  // the instruction's sizes, for reading the profile
};
const bool kProfile = std::getenv("MTGRAD_PLAN_PROFILE") != nullptr;
// MTGRAD_PLAN_GROUP_GEMMS=0 runs every product on its own (to measure what grouping saves).
const bool kGroupGemms = [] {
  const char* v = std::getenv("MTGRAD_PLAN_GROUP_GEMMS");
  return !(v && v[0] == '0');
}();
std::vector<ProfileEntry> g_profile;
// How long idle workers keep spinning after a plan (MTGRAD_PLAN_SPIN_US, default 1000 µs; 0 = the pool's usual
// MTGRAD_SPIN_US): compiled steps come in loops (training, a stream of predict calls), and a worker that fell
// asleep in the JavaScript between two of them joins the next plan's first product late (see wake_workers).
// ONNX Runtime's intra-op pool spins between runs by default for the same reason.
const long kPlanLingerNs = [] {
  const char* v = std::getenv("MTGRAD_PLAN_SPIN_US");
  return (v ? std::max(0L, std::atol(v)) : 1000L) * 1000;
}();

// Keeps the workers spinning for a while after the plan however it ends (a thrown error included).
struct PlanLinger {
  PlanLinger() { wake_workers(); }
  ~PlanLinger() { linger_workers(kPlanLingerNs); }
};

const char* const kPlanOpNames[] = {"end",     "sgemm",       "unary", "binary",     "bce",    "reduce",
                                    "softmax", "copy",        "mixture", "mixtureBwd", "adam", "sgd",
                                    "gather",  "scatterAdd", "cast",  "random",     "where",  "compareI32", "sgemmGroup"};

// A short description of the instruction at `pos` (its numeric fields after the opcode), for the profile.
std::string describe(const double* code, size_t pos, size_t end) {
  std::string s;
  for (size_t i = pos + 1; i < end && i < pos + 24; ++i) {
    if (!s.empty()) s += ' ';
    const double v = code[i];
    s += v == static_cast<double>(static_cast<long>(v)) ? std::to_string(static_cast<long>(v)) : std::to_string(v);
  }
  return s;
}

// ---- products that share an operand ----
// A step's products often read one big operand several times: the MMoE forward multiplies the input X by the
// experts' and each gate's weights, the backward multiplies each one's output gradient by X again for the weight
// gradients. Run one after another, each streams X (2 MB at paper-small's 1024 x 500: more than L2) from memory.
// Consecutive plan products on sgemm's skinny kernels that share A (forward) or B (weight gradients) run as one
// group instead, by blocks of rows (shared A) or of columns (shared B), every product of the group over a block
// while that block of the shared operand is in cache. Each product still runs the kernel sgemm picks for its shape
// (sgemm_skinny_kind), and on those kernels every element is one fixed chain of FMAs whatever block a call
// covers, so results are sgemm's bit for bit (the eager step's).
struct GemmInstr {
  const float* a;
  const float* b;
  float* c;
  const float* bias;
  GemmShape s;
  SkinnyKind kind;
};

GemmInstr read_gemm(Reader& r) {
  GemmInstr g;
  g.a = r.ptr<float>();
  g.b = r.ptr<float>();
  g.c = r.ptr<float>();
  g.bias = r.ptr<float>();
  GemmShape& s = g.s;
  s.batch = r.i(); s.m = r.i(); s.k = r.i(); s.n = r.i();
  s.trans_a = r.b(); s.trans_b = r.b();
  s.a_stride = r.i(); s.b_stride = r.i();
  s.act = static_cast<int>(r.i());
  g.kind = s.batch * s.m * s.n > 0 ? sgemm_skinny_kind(s) : SKINNY_NONE;
  return g;
}

enum GroupMode { SHARE_NONE, SHARE_A, SHARE_B };

bool overlaps(const void* p, long n_floats, const void* q, long m_floats) {
  if (!p || !q || n_floats <= 0 || m_floats <= 0) return false;
  const char* a = static_cast<const char*>(p);
  const char* b = static_cast<const char*>(q);
  return a < b + m_floats * 4 && b < a + n_floats * 4;
}

// The mode in which x may join a group started by g0 (SHARE_NONE: it may not).
GroupMode share_mode(const GemmInstr& g0, const GemmInstr& x) {
  if (g0.kind == SKINNY_NONE || x.kind == SKINNY_NONE) return SHARE_NONE;
  const GemmShape &s0 = g0.s, &s = x.s;
  if (g0.a == x.a && !s0.trans_a && !s.trans_a && s0.m == s.m && s0.k == s.k) return SHARE_A;
  if (g0.b == x.b && s0.trans_a && s.trans_a && !s0.trans_b && !s.trans_b && s0.k == s.k && s0.n == s.n &&
      g0.kind == SKINNY_ROWB && x.kind == SKINNY_ROWB && !g0.bias && !x.bias && !s0.act && !s.act)
    return SHARE_B;
  return SHARE_NONE;
}

// Whether x's output is disjoint from every operand of the group and its operands from every output (a group
// runs interleaved, so no member may read what another writes).
bool independent(const std::vector<GemmInstr>& g, const GemmInstr& x) {
  const long xc = x.s.m * x.s.n;
  for (const GemmInstr& y : g) {
    const long yc = y.s.m * y.s.n;
    if (overlaps(x.c, xc, y.c, yc) || overlaps(x.c, xc, y.a, y.s.m * y.s.k) || overlaps(x.c, xc, y.b, y.s.k * y.s.n) ||
        overlaps(x.c, xc, y.bias, y.s.n) || overlaps(y.c, yc, x.a, x.s.m * x.s.k) ||
        overlaps(y.c, yc, x.b, x.s.k * x.s.n) || overlaps(y.c, yc, x.bias, x.s.n))
      return false;
  }
  return !overlaps(x.c, xc, x.a, x.s.m * x.s.k) && !overlaps(x.c, xc, x.b, x.s.k * x.s.n);
}

// Products run as members of a group since load (planCounters(): lets a test see that grouping took place).
std::atomic<long> g_grouped_products{0};

void run_gemm_group(const std::vector<GemmInstr>& g, GroupMode mode) {
  const KernelTable& kt = kernels();
  g_grouped_products.fetch_add(static_cast<long>(g.size()), std::memory_order_relaxed);
  double flops = 0;
  for (const GemmInstr& x : g) flops += 2.0 * static_cast<double>(x.s.m) * static_cast<double>(x.s.n) * static_cast<double>(x.s.k);
  if (mode == SHARE_A) {
    const long m = g[0].s.m, k = g[0].s.k;
    // sgemm_skinny's transposed copy of B for the rowb kernel, made once per group.
    thread_local std::vector<float> scratch;  // per thread: JS worker threads may run plans at once
    std::vector<const float*> bb(g.size());
    size_t need = 0;
    for (const GemmInstr& x : g)
      if (x.kind == SKINNY_ROWB_BT) need += static_cast<size_t>(x.s.k * x.s.n);
    if (scratch.size() < need) scratch.resize(need);
    size_t at = 0;
    for (size_t q = 0; q < g.size(); ++q) {
      const GemmInstr& x = g[q];
      bb[q] = x.b;
      if (x.kind != SKINNY_ROWB_BT) continue;
      float* t = scratch.data() + at;
      for (long j = 0; j < x.s.n; ++j)
        for (long p = 0; p < k; ++p) t[p * x.s.n + j] = x.b[j * k + p];
      bb[q] = t;
      at += static_cast<size_t>(x.s.k * x.s.n);
    }
    constexpr long kRows = 32;  // a block of A rows (64 KB at k = 500) stays in L2 while every product reads it
    const size_t grain = flops >= 1e6 ? static_cast<size_t>(kRows) : static_cast<size_t>(m);
    parallel_for(static_cast<size_t>(m), grain, [&](size_t r0, size_t r1) {
      for (long i0 = static_cast<long>(r0); i0 < static_cast<long>(r1); i0 += kRows) {
        const long i1 = std::min<long>(static_cast<long>(r1), i0 + kRows);
        for (size_t q = 0; q < g.size(); ++q) {
          const GemmInstr& x = g[q];
          const long n = x.s.n;
          float* c = x.c + i0 * n;
          if (x.kind == SKINNY_DOT) kt.gemm_dot(i1 - i0, n, k, x.a + i0 * k, k, bb[q], k, c, n);
          else kt.gemm_rowb(i1 - i0, n, k, x.a + i0 * k, k, 1, bb[q], n, c, n, false);
          if (x.bias || x.s.act)
            for (long i = 0; i < i1 - i0; ++i) kt.bias_act(x.s.act, c + i * n, x.bias, static_cast<size_t>(n));
        }
      }
    });
    return;
  }
  // SHARE_B: C_q = A_q^T B (rowb, A transposed), by 64-column blocks of B: a block (k x 64) stays in L2 while
  // every product reads it.
  const long k = g[0].s.k, n = g[0].s.n;
  constexpr long kCols = 64;
  const size_t blocks = static_cast<size_t>((n + kCols - 1) / kCols);
  parallel_for(blocks, flops >= 1e6 ? 1 : blocks, [&](size_t b0, size_t b1) {
    for (size_t blk = b0; blk < b1; ++blk) {
      const long j0 = static_cast<long>(blk) * kCols, w = std::min(kCols, n - j0);
      for (const GemmInstr& x : g) kt.gemm_rowb(x.s.m, w, k, x.a, 1, x.s.m, x.b + j0, n, x.c + j0, n, false);
    }
  });
}

MixtureDims mixture(Reader& r) {
  MixtureDims m{};
  m.e = r.i(); m.b = r.i(); m.d = r.i(); m.t = r.i();
  m.stride_e = r.i(); m.stride_b = r.i();
  m.relu = r.b();
  return m;
}

void run_plan_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw_type(env, "runPlan: buffers must be an array of typed arrays");
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<char*> bases(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); ++j) {
    Napi::Value v = arr.Get(j);
    if (!v.IsTypedArray()) throw_type(env, "runPlan: buffer " + std::to_string(j) + " is not a typed array");
    Napi::TypedArray t = v.As<Napi::TypedArray>();
    bases[j] = static_cast<char*>(t.ArrayBuffer().Data()) + t.ByteOffset();
  }
  auto code = typed_arg<double>(info, 1, "code");
  Reader r{code.data, 0, code.size, bases, env};
  const PlanLinger linger;
  size_t ordinal = 0, start_pos = 0;
  int last_op = -1;
  auto t_last = std::chrono::steady_clock::now();
  for (;; ++ordinal) {
    if (kProfile) {
      const auto now = std::chrono::steady_clock::now();
      if (last_op >= 0) {
        if (g_profile.size() < ordinal) g_profile.resize(ordinal);
        ProfileEntry& e = g_profile[ordinal - 1];
        if (e.calls == 0) e = ProfileEntry{last_op, 0, 0, describe(code.data, start_pos, r.pos)};
        e.ns += static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - t_last).count());
        ++e.calls;
      }
      t_last = now;
      start_pos = r.pos;
    }
    const int op = static_cast<int>(r.num());
    last_op = op;
    switch (op) {
      case P_END: return;
      case P_SGEMM: {
        std::vector<GemmInstr> group{read_gemm(r)};
        GroupMode mode = SHARE_NONE;
        // The products right after this one that share its A or B (see run_gemm_group).
        while (kGroupGemms && r.pos < r.len && static_cast<int>(code.data[r.pos]) == P_SGEMM) {
          Reader peek = r;
          peek.num();
          GemmInstr x = read_gemm(peek);
          const GroupMode m = share_mode(group[0], x);
          if (m == SHARE_NONE || (mode != SHARE_NONE && m != mode) || !independent(group, x)) break;
          mode = m;
          group.push_back(x);
          r.pos = peek.pos;
        }
        if (group.size() > 1) {
          run_gemm_group(group, mode);
          if (kProfile) last_op = P_SGEMM_GROUP;
          break;
        }
        const GemmInstr& x = group[0];
        if (x.s.batch * x.s.m * x.s.n > 0) sgemm(x.a, x.b, x.c, x.bias, x.s);
        break;
      }
      case P_UNARY: {
        int code_ = static_cast<int>(r.i());
        const float* x = r.ptr<float>();
        float* y = r.ptr<float>();
        size_t n = static_cast<size_t>(r.i());
        float alpha = r.f();
        if (n) unary_f32(code_, x, y, n, alpha);
        break;
      }
      case P_BINARY: {
        int code_ = static_cast<int>(r.i());
        const float* a = r.ptr<float>();
        const float* b = r.ptr<float>();
        float* y = r.ptr<float>();
        long nd = r.i();
        auto as = r.longs(nd), bs = r.longs(nd), os = r.longs(nd);
        binary_f32(code_, a, b, y, as.data(), bs.data(), os.data(), static_cast<int>(nd));
        break;
      }
      case P_BCE: {
        const float* x = r.ptr<float>();
        const float* t = r.ptr<float>();
        float* y = r.ptr<float>();
        size_t n = static_cast<size_t>(r.i());
        bool grad = r.b();
        if (n) bce_f32(x, t, y, n, grad);
        break;
      }
      case P_REDUCE: {
        int code_ = static_cast<int>(r.i());
        const float* x = r.ptr<float>();
        void* out = r.ptr<char>();
        long outer = r.i(), n = r.i(), inner = r.i();
        if (outer * inner > 0) reduce_f32(code_, x, out, outer, n, inner);
        break;
      }
      case P_SOFTMAX: {
        const float* x = r.ptr<float>();
        float* y = r.ptr<float>();
        long rows = r.i(), n = r.i();
        bool log = r.b();
        if (rows * n > 0) softmax_f32(x, y, rows, n, log);
        break;
      }
      case P_COPY: {
        const char* src = r.ptr<char>();
        char* dst = r.ptr<char>();
        size_t elem = static_cast<size_t>(r.i());
        long zero_bytes = r.i();
        long nd = r.i();
        auto shape = r.longs(nd), sst = r.longs(nd);
        long sbase = r.i();
        auto dstr = r.longs(nd);
        long dbase = r.i();
        if (zero_bytes > 0) std::memset(dst, 0, static_cast<size_t>(zero_bytes));
        strided_copy(src, dst, elem, static_cast<int>(nd), shape.data(), sst.data(), sbase, dstr.data(), dbase);
        break;
      }
      case P_MIXTURE: {
        const float* ex = r.ptr<float>();
        const float* lg = r.ptr<float>();
        float* out = r.ptr<float>();
        float* w = r.ptr<float>();
        MixtureDims m = mixture(r);
        gated_mixture_f32(ex, lg, out, w, m);
        break;
      }
      case P_MIXTURE_BWD: {
        const float* go = r.ptr<float>();
        const float* ex = r.ptr<float>();
        const float* w = r.ptr<float>();
        float* ge = r.ptr<float>();
        float* gl = r.ptr<float>();
        MixtureDims m = mixture(r);
        gated_mixture_backward_f32(go, ex, w, ge, gl, m);
        break;
      }
      case P_ADAM: {
        float* p = r.ptr<float>();
        const float* g = r.ptr<float>();
        float* m = r.ptr<float>();
        float* v = r.ptr<float>();
        size_t n = static_cast<size_t>(r.i());
        float lr = r.f(), b1 = r.f(), b2 = r.f(), eps = r.f(), wd = r.f();
        bool decoupled = r.b();
        double step = r.num();
        if (!(step >= 1)) throw_range(env, "runPlan: adam step must be >= 1");
        RowSel sel = row_sel(r, n, "adamUpdate");
        adam_f32(p, g, m, v, n, sel, lr, b1, b2, eps, wd, decoupled, step);
        break;
      }
      case P_SGD: {
        float* p = r.ptr<float>();
        const float* g = r.ptr<float>();
        float* buf = r.ptr<float>();
        size_t n = static_cast<size_t>(r.i());
        float lr = r.f(), mom = r.f(), damp = r.f();
        bool nest = r.b();
        float wd = r.f();
        bool first = r.b();
        RowSel sel = row_sel(r, n, "sgdUpdate");
        sgd_f32(p, g, buf, n, sel, lr, mom, damp, nest, wd, first);
        break;
      }
      case P_GATHER:
      case P_SCATTER_ADD: {
        const char* x = r.ptr<char>();
        const int32_t* idx = r.ptr<int32_t>();
        char* out = r.ptr<char>();
        long outer = r.i(), n = r.i(), inner = r.i(), m = r.i();
        size_t elem = static_cast<size_t>(r.i());
        long bad = check_indices(idx, m, n);
        if (bad >= 0)
          throw_range(env, std::string(op == P_GATHER ? "gather" : "scatterAdd") + ": index " +
                               std::to_string(idx[bad]) + " at position " + std::to_string(bad) +
                               " is out of range [0, " + std::to_string(n) + ")");
        if (op == P_GATHER) gather(x, idx, out, outer, n, inner, m, elem);
        else scatter_add_f32(reinterpret_cast<const float*>(x), idx, reinterpret_cast<float*>(out), outer, n, inner, m);
        break;
      }
      case P_CAST: {
        const void* x = r.ptr<char>();
        int from = static_cast<int>(r.i());
        void* out = r.ptr<char>();
        int to = static_cast<int>(r.i());
        size_t n = static_cast<size_t>(r.i());
        cast(x, from, out, to, n);
        break;
      }
      case P_RANDOM: {
        void* out = r.ptr<char>();
        int dt = static_cast<int>(r.i());
        size_t n = static_cast<size_t>(r.i());
        int dist = static_cast<int>(r.i());
        uint32_t lo = static_cast<uint32_t>(r.num()), hi = static_cast<uint32_t>(r.num());
        double offset = r.num();
        double a = r.num(), b = r.num();
        if (offset + static_cast<double>(n) > 9007199254740992.0) throw_range(env, "runPlan: random offset past 2^53");
        random_fill(out, dt, n, dist, lo, hi, static_cast<uint64_t>(offset), a, b);
        break;
      }
      case P_WHERE: {
        const void* c = r.ptr<char>();
        int ct = static_cast<int>(r.i());
        const void* a = r.ptr<char>();
        const void* b = r.ptr<char>();
        void* out = r.ptr<char>();
        size_t elem = static_cast<size_t>(r.i());
        long nd = r.i();
        auto shape = r.longs(nd), sc = r.longs(nd), sa = r.longs(nd), sb = r.longs(nd);
        where_select(c, ct, a, b, out, elem, static_cast<int>(nd), shape.data(), sc.data(), sa.data(), sb.data());
        break;
      }
      case P_COMPARE_I32: {
        int code_ = static_cast<int>(r.i());
        const int32_t* a = r.ptr<int32_t>();
        const int32_t* b = r.ptr<int32_t>();
        int32_t* y = r.ptr<int32_t>();
        long nd = r.i();
        auto as = r.longs(nd), bs = r.longs(nd), os = r.longs(nd);
        if (code_ != B_MINIMUM && code_ != B_MAXIMUM && (code_ < B_EQ || code_ > B_GE))
          throw_range(env, "runPlan: binary op code " + std::to_string(code_) + " has no exact int32 form");
        compare_i32(code_, a, b, y, as, bs, os);
        break;
      }
      default:
        throw_range(env, "runPlan: unknown opcode " + std::to_string(op));
    }
  }
}

}  // namespace

namespace {
template <size_t N>
Napi::Array plan_names_array(Napi::Env env, const char* const (&names)[N]) {
  Napi::Array a = Napi::Array::New(env, N);
  for (size_t i = 0; i < N; ++i) a.Set(static_cast<uint32_t>(i), names[i]);
  return a;
}
}  // namespace

// planProfile(): [{op, what, ns, calls}] per instruction of the plans run since the last call (MTGRAD_PLAN_PROFILE
// set; empty otherwise), then clears it. Instructions are keyed by their position, so profile one plan at a time.
static Napi::Value plan_profile_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env);
  uint32_t k = 0;
  for (const ProfileEntry& e : g_profile) {
    Napi::Object o = Napi::Object::New(env);
    const size_t n_names = sizeof(kPlanOpNames) / sizeof(kPlanOpNames[0]);
    o.Set("op", e.op >= 0 && static_cast<size_t>(e.op) < n_names ? kPlanOpNames[e.op] : "?");
    o.Set("what", e.what);
    o.Set("ns", e.ns);
    o.Set("calls", static_cast<double>(e.calls));
    a.Set(k++, o);
  }
  g_profile.clear();
  return a;
}

// planCounters(): {groupedProducts} since load.
static Napi::Value plan_counters_binding(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("groupedProducts", static_cast<double>(g_grouped_products.load()));
  return o;
}

void register_plan(Napi::Env env, Napi::Object exports) {
  exports.Set("runPlan", Napi::Function::New(env, run_plan_binding, "runPlan"));
  exports.Set("planProfile", Napi::Function::New(env, plan_profile_binding, "planProfile"));
  exports.Set("planCounters", Napi::Function::New(env, plan_counters_binding, "planCounters"));
  // The names behind the plan's numeric activation (sgemm epilogue) and distribution (random) fields, in code order
  // (op_names.h): the per-kernel bindings match these by name, the plan by code, so the TypeScript lowering derives
  // its codes from this list rather than keeping its own table.
  Napi::Object names = Napi::Object::New(env);
  names.Set("activation", plan_names_array(env, ACTIVATION_NAMES));
  names.Set("dist", plan_names_array(env, DIST_NAMES));
  exports.Set("planNames", names);
}

}  // namespace mtgrad
