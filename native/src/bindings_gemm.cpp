// gemm(a, b, out, batch, m, k, n, transA, transB, aBatchStride, bBatchStride, bias | null, activation)
// for float32 (sgemm) and float64 (dgemm); out is preallocated [batch, m, n] and fully overwritten.
#include "bindings.h"
#include "gemm/gemm.h"
#include "kernel_table.h"
#include "napi_util.h"

namespace mtgrad {
namespace {

template <typename T>
void gemm_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto a = typed_arg<T>(info, 0, "a");
  auto b = typed_arg<T>(info, 1, "b");
  auto out = typed_arg<T>(info, 2, "out");
  GemmShape s;
  s.batch = size_arg(info, 3, "batch");
  s.m = size_arg(info, 4, "m");
  s.k = size_arg(info, 5, "k");
  s.n = size_arg(info, 6, "n");
  s.trans_a = bool_arg(info, 7, "transA");
  s.trans_b = bool_arg(info, 8, "transB");
  s.a_stride = size_arg(info, 9, "aBatchStride");
  s.b_stride = size_arg(info, 10, "bBatchStride");
  auto bias = optional_typed_arg<T>(info, 11, "bias");
  double act = num_arg(info, 12, "activation");
  if (!(act >= 0 && act < ACT_COUNT) || static_cast<int>(act) != act) throw_range(env, "unknown activation");
  s.act = static_cast<int>(act);

  size_t mk = checked_product(env, {s.m, s.k}), kn = checked_product(env, {s.k, s.n});
  expect_size(env, out.size, checked_product(env, {s.batch, s.m, s.n}), "out");
  if (s.batch > 0) {
    expect_at_least(env, a.size, checked_product(env, {s.a_stride, s.batch - 1}) + mk, "a");
    expect_at_least(env, b.size, checked_product(env, {s.b_stride, s.batch - 1}) + kn, "b");
  }
  if (bias.data || info[11].IsTypedArray()) expect_size(env, bias.size, static_cast<size_t>(s.n), "bias");
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
