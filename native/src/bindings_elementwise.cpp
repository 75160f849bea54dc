// unary(op, x, out, alpha), binary(op, a, b, out, aShape, bShape, outShape), bce(x, t, out, grad),
// reduce(op, x, out, outer, n, inner), softmax(x, out, rows, n, log). float32; op codes from kernel_table.h / ops.h.
#include <string>
#include <vector>

#include "bindings.h"
#include "kernel_table.h"
#include "napi_util.h"
#include "ops.h"

namespace mtgrad {
namespace {

int op_arg(const Napi::CallbackInfo& info, size_t i, int count) {
  double v = num_arg(info, i, "op");
  if (!(v >= 0 && v < count) || static_cast<int>(v) != v) throw_range(info.Env(), "unknown op code");
  return static_cast<int>(v);
}

std::vector<long> shape_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsArray()) throw_type(info.Env(), std::string(what) + " must be an array");
  Napi::Array arr = info[i].As<Napi::Array>();
  std::vector<long> dims(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); ++j) {
    Napi::Value v = arr.Get(j);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0) || d > 9007199254740991.0 || static_cast<double>(static_cast<long>(d)) != d)
      throw_range(info.Env(), std::string(what) + " must hold non-negative integers");
    dims[j] = static_cast<long>(d);
  }
  return dims;
}

size_t numel(Napi::Env env, const std::vector<long>& s) {
  double p = 1;
  size_t r = 1;
  for (long x : s) {
    p *= static_cast<double>(x);
    r *= static_cast<size_t>(x);
  }
  if (p > 9007199254740991.0) throw_range(env, "size overflow");
  return r;
}

void unary_binding(const Napi::CallbackInfo& info) {
  int op = op_arg(info, 0, U_COUNT);
  auto x = typed_arg<float>(info, 1, "x");
  auto out = typed_arg<float>(info, 2, "out");
  float alpha = static_cast<float>(num_arg(info, 3, "alpha"));
  expect_size(info.Env(), out.size, x.size, "out");
  if (x.size) unary_f32(op, x.data, out.data, x.size, alpha);
}

void binary_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int op = op_arg(info, 0, B_COUNT);
  auto a = typed_arg<float>(info, 1, "a");
  auto b = typed_arg<float>(info, 2, "b");
  auto out = typed_arg<float>(info, 3, "out");
  auto as = shape_arg(info, 4, "aShape"), bs = shape_arg(info, 5, "bShape"), os = shape_arg(info, 6, "outShape");
  if (as.size() != os.size() || bs.size() != os.size()) throw_range(env, "shapes must have the same length");
  for (size_t i = 0; i < os.size(); ++i)
    if ((as[i] != os[i] && as[i] != 1) || (bs[i] != os[i] && bs[i] != 1))
      throw_range(env, "input shapes do not broadcast to the output shape");
  expect_size(env, a.size, numel(env, as), "a");
  expect_size(env, b.size, numel(env, bs), "b");
  expect_size(env, out.size, numel(env, os), "out");
  if (out.size == 0) return;
  binary_f32(op, a.data, b.data, out.data, as.data(), bs.data(), os.data(), static_cast<int>(os.size()));
}

void bce_binding(const Napi::CallbackInfo& info) {
  auto x = typed_arg<float>(info, 0, "logits");
  auto t = typed_arg<float>(info, 1, "targets");
  auto out = typed_arg<float>(info, 2, "out");
  bool grad = bool_arg(info, 3, "grad");
  expect_size(info.Env(), t.size, x.size, "targets");
  expect_size(info.Env(), out.size, x.size, "out");
  if (x.size) bce_f32(x.data, t.data, out.data, x.size, grad);
}

void reduce_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int op = op_arg(info, 0, R_ARGMIN + 1);
  auto x = typed_arg<float>(info, 1, "x");
  long outer = size_arg(info, 3, "outer"), n = size_arg(info, 4, "n"), inner = size_arg(info, 5, "inner");
  expect_size(env, x.size, checked_product(env, {outer, n, inner}), "x");
  size_t out_size = checked_product(env, {outer, inner});
  if (n == 0 && op != R_SUM && op != R_PROD) throw_range(env, "only sum and prod reduce an empty axis");
  void* out;
  if (op == R_ARGMAX || op == R_ARGMIN) {
    auto o = typed_arg<int32_t>(info, 2, "out");
    expect_size(env, o.size, out_size, "out");
    out = o.data;
  } else {
    auto o = typed_arg<float>(info, 2, "out");
    expect_size(env, o.size, out_size, "out");
    out = o.data;
  }
  if (out_size) reduce_f32(op, x.data, out, outer, n, inner);
}

void softmax_binding(const Napi::CallbackInfo& info) {
  auto x = typed_arg<float>(info, 0, "x");
  auto out = typed_arg<float>(info, 1, "out");
  long rows = size_arg(info, 2, "rows"), n = size_arg(info, 3, "n");
  bool log = bool_arg(info, 4, "log");
  expect_size(info.Env(), x.size, checked_product(info.Env(), {rows, n}), "x");
  expect_size(info.Env(), out.size, x.size, "out");
  if (x.size) softmax_f32(x.data, out.data, rows, n, log);
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, unary_binding, "unary"));
  exports.Set("binary", Napi::Function::New(env, binary_binding, "binary"));
  exports.Set("bce", Napi::Function::New(env, bce_binding, "bce"));
  exports.Set("reduce", Napi::Function::New(env, reduce_binding, "reduce"));
  exports.Set("softmax", Napi::Function::New(env, softmax_binding, "softmax"));
}

}  // namespace mtgrad
