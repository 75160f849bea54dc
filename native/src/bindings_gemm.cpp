// gemm(a, b, out, bias | null, params) for float32 (sgemm) and float64 (dgemm); params is the kernel interface's
// MatmulParams, read by field name (batch, m, k, n, transA, transB, aBatchStride, bBatchStride, activation).
// out is preallocated [batch, m, n] and fully overwritten.
#include "bindings.h"
#include "gemm/gemm.h"
#include "kernel_table.h"
#include "napi_util.h"
#include "op_names.h"

namespace mtgrad {
namespace {

template <typename T>
void gemm_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto a = typed_arg<T>(info, 0, "a");
  auto b = typed_arg<T>(info, 1, "b");
  auto out = typed_arg<T>(info, 2, "out");
  auto bias = optional_typed_arg<T>(info, 3, "bias");
  Napi::Object p = params_arg(info, 4, "params");
  GemmShape s;
  s.batch = size_field(env, p, "batch");
  s.m = size_field(env, p, "m");
  s.k = size_field(env, p, "k");
  s.n = size_field(env, p, "n");
  s.trans_a = bool_field(env, p, "transA");
  s.trans_b = bool_field(env, p, "transB");
  s.a_stride = size_field(env, p, "aBatchStride");
  s.b_stride = size_field(env, p, "bBatchStride");
  s.act = name_field(env, p, "activation", ACTIVATION_NAMES, ACT_COUNT, ACT_NONE);

  size_t mk = checked_product(env, {s.m, s.k}), kn = checked_product(env, {s.k, s.n});
  expect_size(env, out.size, checked_product(env, {s.batch, s.m, s.n}), "out");
  if (s.batch > 0) {
    expect_at_least(env, a.size, checked_product(env, {s.a_stride, s.batch - 1}) + mk, "a");
    expect_at_least(env, b.size, checked_product(env, {s.b_stride, s.batch - 1}) + kn, "b");
  }
  if (bias.data || info[3].IsTypedArray()) expect_size(env, bias.size, static_cast<size_t>(s.n), "bias");
  if (out.size == 0) return;
  if constexpr (sizeof(T) == 4) sgemm(a.data, b.data, out.data, bias.size ? bias.data : nullptr, s);
  else dgemm(a.data, b.data, out.data, bias.size ? bias.data : nullptr, s);
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, gemm_binding<float>, "sgemm"));
  exports.Set("dgemm", Napi::Function::New(env, gemm_binding<double>, "dgemm"));
}

}  // namespace mtgrad
