// runPlan(buffers, code): executes a captured step (src/compile/native-plan.ts) in one addon call. `buffers` is an
// array of typed arrays (the arena of temporaries, constants, parameters and state, inputs, outputs); `code` a
// Float64Array of instructions, each an opcode followed by its fields, where a buffer operand is two fields
// (buffer index, byte offset; index -1: none). Every shape and size was checked once, at capture, by the validating
// layer every kernel call goes through (src/backends/checked.ts); op, activation and distribution codes are the
// addon's own (opNames, and planNames below), so TypeScript keeps no table of them; what can change per replay
// (gather/scatter indices read from inputs) is checked here. Kernels are the ones the per-kernel bindings call, so
// results are bit-identical to eager.
#include <cstring>
#include <string>
#include <vector>

#include "bindings.h"
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
  // Consecutive products reading the same A (native-plan.ts groups them); numbered apart from the list above.
  P_SGEMM_GROUP = 64,
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
void compare_i32(int op, const int32_t* a, const int32_t* b, int32_t* y, const std::vector<long>& as,
                 const std::vector<long>& bs, const std::vector<long>& os) {
  const size_t nd = os.size();
  std::vector<long> sa(nd), sb(nd), idx(nd, 0);
  long ka = 1, kb = 1, total = 1;
  for (size_t d = nd; d-- > 0;) {
    sa[d] = as[d] == 1 ? 0 : ka;
    sb[d] = bs[d] == 1 ? 0 : kb;
    ka *= as[d]; kb *= bs[d]; total *= os[d];
  }
  long ia = 0, ib = 0;
  for (long i = 0; i < total; ++i) {
    const int32_t x = a[ia], z = b[ib];
    int32_t r = 0;
    switch (op) {
      case B_MINIMUM: r = x < z ? x : z; break;
      case B_MAXIMUM: r = x > z ? x : z; break;
      case B_EQ: r = x == z; break;
      case B_NE: r = x != z; break;
      case B_LT: r = x < z; break;
      case B_LE: r = x <= z; break;
      case B_GT: r = x > z; break;
      case B_GE: r = x >= z; break;
      default: break;  // unreachable: checked before the loop
    }
    y[i] = r;
    for (size_t d = nd; d-- > 0;) {  // odometer over the output index, moving both input offsets
      ia += sa[d]; ib += sb[d];
      if (++idx[d] < os[d]) break;
      ia -= sa[d] * os[d]; ib -= sb[d] * os[d];
      idx[d] = 0;
    }
  }
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
  for (;;) {
    const int op = static_cast<int>(r.num());
    switch (op) {
      case P_END: return;
      case P_SGEMM: {
        const float* a = r.ptr<float>();
        const float* b = r.ptr<float>();
        float* c = r.ptr<float>();
        const float* bias = r.ptr<float>();
        GemmShape s;
        s.batch = r.i(); s.m = r.i(); s.k = r.i(); s.n = r.i();
        s.trans_a = r.b(); s.trans_b = r.b();
        s.a_stride = r.i(); s.b_stride = r.i();
        s.act = static_cast<int>(r.i());
        if (s.batch * s.m * s.n > 0) sgemm(a, b, c, bias, s);
        break;
      }
      case P_SGEMM_GROUP: {
        // count, then each member's P_SGEMM fields. Run together (A read once per row block) when every member is
        // a batch-1 skinny product of the same row-major A; otherwise one after another, as separate P_SGEMMs.
        const long count = r.i();
        if (count < 1 || count > 64) throw_range(env, "runPlan: sgemm group of " + std::to_string(count) + " members");
        std::vector<GemmShape> shapes(static_cast<size_t>(count));
        std::vector<const float*> as(static_cast<size_t>(count));
        std::vector<SkinnyMember> members(static_cast<size_t>(count));
        bool together = true;
        double flops = 0;
        for (long q = 0; q < count; ++q) {
          const size_t u = static_cast<size_t>(q);
          as[u] = r.ptr<float>();
          members[u].b = r.ptr<float>();
          members[u].c = r.ptr<float>();
          members[u].bias = r.ptr<float>();
          GemmShape& s = shapes[u];
          s.batch = r.i(); s.m = r.i(); s.k = r.i(); s.n = r.i();
          s.trans_a = r.b(); s.trans_b = r.b();
          s.a_stride = r.i(); s.b_stride = r.i();
          s.act = static_cast<int>(r.i());
          members[u].n = s.n;
          members[u].tb = s.trans_b;
          members[u].act = s.act;
          together = together && !s.trans_a && sgemm_is_skinny(s) && as[u] == as[0] && s.m == shapes[0].m &&
                     s.k == shapes[0].k;
          flops += 2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
        }
        if (together) {
          sgemm_skinny_shared_a(as[0], shapes[0].m, shapes[0].k, members.data(), static_cast<int>(count),
                                flops >= skinny_parallel_flops() ? num_threads() : 1);
        } else {
          for (long q = 0; q < count; ++q) {
            const GemmShape& s = shapes[static_cast<size_t>(q)];
            const SkinnyMember& mb = members[static_cast<size_t>(q)];
            if (s.batch * s.m * s.n > 0) sgemm(as[static_cast<size_t>(q)], mb.b, mb.c, mb.bias, s);
          }
        }
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
        adam_f32(p, g, m, v, n, RowSel{false, nullptr, 0, 0}, lr, b1, b2, eps, wd, decoupled, step);
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
        sgd_f32(p, g, buf, n, RowSel{false, nullptr, 0, 0}, lr, mom, damp, nest, wd, first);
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

void register_plan(Napi::Env env, Napi::Object exports) {
  exports.Set("runPlan", Napi::Function::New(env, run_plan_binding, "runPlan"));
  // The names behind the plan's numeric activation (sgemm epilogue) and distribution (random) fields, in code order
  // (op_names.h): the per-kernel bindings match these by name, the plan by code, so the TypeScript lowering derives
  // its codes from this list rather than keeping its own table.
  Napi::Object names = Napi::Object::New(env);
  names.Set("activation", plan_names_array(env, ACTIVATION_NAMES));
  names.Set("dist", plan_names_array(env, DIST_NAMES));
  exports.Set("planNames", names);
}

}  // namespace mtgrad
