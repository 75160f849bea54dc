// gather(x, idx, out, outer, n, inner), scatterAdd(src, idx, out, outer, n, inner), cast(x, out),
// random(out, params: RandomParams), philox(c0, c1, k0, k1, out4),
// gatedMixture(experts, logits, out, weights, params: MixtureParams),
// gatedMixtureBackward(gOut, experts, weights, gExperts, gLogits, params: MixtureParams).
// Params objects are the kernel interface's structs, read by field name.
#include <string>

#include "bindings.h"
#include "napi_util.h"
#include "op_names.h"
#include "ops.h"

namespace mtgrad {
namespace {

void check_index_range(const Napi::CallbackInfo& info, View<int32_t> idx, long n) {
  long bad = check_indices(idx.data, static_cast<long>(idx.size), n);
  if (bad >= 0)
    throw_range(info.Env(), "index " + std::to_string(idx.data[bad]) + " at position " + std::to_string(bad) +
                                " is out of range [0, " + std::to_string(n) + ")");
}

void gather_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dt = dtype_of(info, 0, "x");
  if (dtype_of(info, 2, "out") != dt) throw_type(env, "out must have the dtype of x");
  auto idx = typed_arg<int32_t>(info, 1, "indices");
  long outer = size_arg(info, 3, "outer"), n = size_arg(info, 4, "n"), inner = size_arg(info, 5, "inner");
  size_t xs, os;
  void* x = typed_data(info, 0, &xs);
  void* out = typed_data(info, 2, &os);
  const long m = static_cast<long>(idx.size);
  expect_size(env, xs, checked_product(env, {outer, n, inner}), "x");
  expect_size(env, os, checked_product(env, {outer, m, inner}), "out");
  check_index_range(info, idx, n);
  if (os) gather(x, idx.data, out, outer, n, inner, m, dt == 1 ? 8 : 4);
}

void scatter_add_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dt = dtype_of(info, 0, "src");
  if (dtype_of(info, 2, "out") != dt || dt == 2) throw_type(env, "scatterAdd takes float32 or float64 src and out");
  auto idx = typed_arg<int32_t>(info, 1, "indices");
  long outer = size_arg(info, 3, "outer"), n = size_arg(info, 4, "n"), inner = size_arg(info, 5, "inner");
  size_t ss, os;
  void* src = typed_data(info, 0, &ss);
  void* out = typed_data(info, 2, &os);
  const long m = static_cast<long>(idx.size);
  expect_size(env, ss, checked_product(env, {outer, m, inner}), "src");
  expect_size(env, os, checked_product(env, {outer, n, inner}), "out");
  check_index_range(info, idx, n);
  if (!os) return;
  if (dt == 0) scatter_add_f32(static_cast<float*>(src), idx.data, static_cast<float*>(out), outer, n, inner, m);
  else scatter_add_f64(static_cast<double*>(src), idx.data, static_cast<double*>(out), outer, n, inner, m);
}

void cast_binding(const Napi::CallbackInfo& info) {
  int from = dtype_of(info, 0, "x"), to = dtype_of(info, 1, "out");
  size_t xs, os;
  void* x = typed_data(info, 0, &xs);
  void* out = typed_data(info, 1, &os);
  expect_size(info.Env(), os, xs, "out");
  if (xs) cast(x, from, out, to, xs);
}

uint32_t to_u32(Napi::Env env, double v, const char* what) {
  if (!(v >= 0 && v <= 4294967295.0) || static_cast<double>(static_cast<uint32_t>(v)) != v)
    throw_range(env, std::string(what) + " must be a uint32");
  return static_cast<uint32_t>(v);
}

uint32_t u32_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  return to_u32(info.Env(), num_arg(info, i, what), what);
}

void random_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dt = dtype_of(info, 0, "out");
  size_t n;
  void* out = typed_data(info, 0, &n);
  Napi::Object p = params_arg(info, 1, "params");
  const int dist = name_field(env, p, "dist", DIST_NAMES, count_of(DIST_NAMES));
  uint32_t lo = to_u32(env, num_field(env, p, "seedLo"), "seedLo"), hi = to_u32(env, num_field(env, p, "seedHi"), "seedHi");
  long offset = size_field(env, p, "offset");
  if (static_cast<double>(offset) + static_cast<double>(n) > 9007199254740992.0)
    throw_range(env, "offset + size must stay below 2^53");
  double a = num_field(env, p, "a"), b = num_field(env, p, "b");
  if (dist == DIST_RANDINT && !(b - a >= 0 && b - a <= 4294967295.0))
    throw_range(env, "randint range must be in [0, 2^32)");
  if (n) random_fill(out, dt, n, dist, lo, hi, static_cast<uint64_t>(offset), a, b);
}

void philox_binding(const Napi::CallbackInfo& info) {
  auto out = typed_arg<uint32_t>(info, 4, "out");
  expect_at_least(info.Env(), out.size, 4, "out");
  philox4x32(u32_arg(info, 0, "c0"), u32_arg(info, 1, "c1"), u32_arg(info, 2, "k0"), u32_arg(info, 3, "k1"),
             out.data);
}

// The last argument of both gated-mixture bindings: the kernel interface's MixtureParams, read by field name
// (e, b, d, t, layout 'EBD' = experts [E, B, D] or 'BED' = [B, E, D], activation 'none' or 'relu').
MixtureDims mixture_args(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  Napi::Object p = params_arg(info, i, "params");
  MixtureDims m{};
  m.e = size_field(env, p, "e");
  m.b = size_field(env, p, "b");
  m.d = size_field(env, p, "d");
  m.t = size_field(env, p, "t");
  const int layout = name_field(env, p, "layout", LAYOUT_NAMES, count_of(LAYOUT_NAMES));
  m.stride_e = layout == 0 ? m.b * m.d : m.d;
  m.stride_b = layout == 0 ? m.d : m.e * m.d;
  m.relu = name_field(env, p, "activation", MIXTURE_ACTIVATION_NAMES, count_of(MIXTURE_ACTIVATION_NAMES)) == 1;
  return m;
}

void gated_mixture_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto ex = typed_arg<float>(info, 0, "experts");
  auto lg = typed_arg<float>(info, 1, "gateLogits");
  auto out = typed_arg<float>(info, 2, "out");
  auto w = typed_arg<float>(info, 3, "weights");
  const MixtureDims m = mixture_args(info, 4);
  expect_size(env, ex.size, checked_product(env, {m.e, m.b, m.d}), "experts");
  expect_size(env, lg.size, checked_product(env, {m.t, m.b, m.e}), "gateLogits");
  expect_size(env, out.size, checked_product(env, {m.t, m.b, m.d}), "out");
  expect_size(env, w.size, lg.size, "weights");
  if (m.b) gated_mixture_f32(ex.data, lg.data, out.data, w.data, m);
}

void gated_mixture_backward_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto go = typed_arg<float>(info, 0, "gOut");
  auto ex = typed_arg<float>(info, 1, "experts");
  auto w = typed_arg<float>(info, 2, "weights");
  auto ge = typed_arg<float>(info, 3, "gExperts");
  auto gl = typed_arg<float>(info, 4, "gLogits");
  const MixtureDims m = mixture_args(info, 5);
  expect_size(env, go.size, checked_product(env, {m.t, m.b, m.d}), "gOut");
  expect_size(env, ex.size, checked_product(env, {m.e, m.b, m.d}), "experts");
  expect_size(env, w.size, checked_product(env, {m.t, m.b, m.e}), "weights");
  expect_size(env, ge.size, ex.size, "gExperts");
  expect_size(env, gl.size, w.size, "gLogits");
  if (m.b) gated_mixture_backward_f32(go.data, ex.data, w.data, ge.data, gl.data, m);
}

}  // namespace

void register_misc(Napi::Env env, Napi::Object exports) {
  exports.Set("gather", Napi::Function::New(env, gather_binding, "gather"));
  exports.Set("scatterAdd", Napi::Function::New(env, scatter_add_binding, "scatterAdd"));
  exports.Set("cast", Napi::Function::New(env, cast_binding, "cast"));
  exports.Set("random", Napi::Function::New(env, random_binding, "random"));
  exports.Set("philox", Napi::Function::New(env, philox_binding, "philox"));
  exports.Set("gatedMixture", Napi::Function::New(env, gated_mixture_binding, "gatedMixture"));
  exports.Set("gatedMixtureBackward",
              Napi::Function::New(env, gated_mixture_backward_binding, "gatedMixtureBackward"));
}

}  // namespace mtgrad
