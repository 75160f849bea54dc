// In-place optimizer updates over float32 buffers:
// sgd(param, grad, momentumBuf | null, rows | null, rowSize, lr, momentum, dampening, nesterov, weightDecay, firstStep)
// adam(param, grad, m, v, rows | null, rowSize, lr, beta1, beta2, eps, weightDecay, decoupled, step)
// adagrad(param, grad, sum, rows | null, rowSize, lr, eps, weightDecay, lrDecay, step)
#include <string>

#include "bindings.h"
#include "napi_util.h"
#include "ops.h"

namespace mtgrad {
namespace {

// Validates the optional row selection against a buffer of `size` elements.
RowSel row_sel(const Napi::CallbackInfo& info, size_t i, size_t size) {
  auto rows = optional_typed_arg<int32_t>(info, i, "rows");
  long row_size = size_arg(info, i + 1, "rowSize");
  if (!info[i].IsTypedArray()) return RowSel{false, nullptr, 0, 0};
  if (row_size == 0 || size % static_cast<size_t>(row_size) != 0)
    throw_range(info.Env(), "rowSize must divide the parameter size");
  long nrows = static_cast<long>(size / static_cast<size_t>(row_size));
  long bad = check_indices(rows.data, static_cast<long>(rows.size), nrows);
  if (bad >= 0) throw_range(info.Env(), "row index at position " + std::to_string(bad) + " is out of range");
  return RowSel{true, rows.data, static_cast<long>(rows.size), row_size};
}

float f(const Napi::CallbackInfo& info, size_t i, const char* what) {
  return static_cast<float>(num_arg(info, i, what));
}

void sgd_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = typed_arg<float>(info, 0, "param");
  auto g = typed_arg<float>(info, 1, "grad");
  auto buf = optional_typed_arg<float>(info, 2, "momentumBuf");
  expect_size(env, g.size, p.size, "grad");
  if (info[2].IsTypedArray()) expect_size(env, buf.size, p.size, "momentumBuf");
  RowSel sel = row_sel(info, 3, p.size);
  if (!p.size) return;
  sgd_f32(p.data, g.data, info[2].IsTypedArray() ? buf.data : nullptr, p.size, sel, f(info, 5, "lr"),
          f(info, 6, "momentum"), f(info, 7, "dampening"), bool_arg(info, 8, "nesterov"), f(info, 9, "weightDecay"),
          bool_arg(info, 10, "firstStep"));
}

void adam_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = typed_arg<float>(info, 0, "param");
  auto g = typed_arg<float>(info, 1, "grad");
  auto m = typed_arg<float>(info, 2, "m");
  auto v = typed_arg<float>(info, 3, "v");
  expect_size(env, g.size, p.size, "grad");
  expect_size(env, m.size, p.size, "m");
  expect_size(env, v.size, p.size, "v");
  RowSel sel = row_sel(info, 4, p.size);
  double step = num_arg(info, 12, "step");
  if (!(step >= 1)) throw_range(env, "step must be >= 1");
  if (!p.size) return;
  adam_f32(p.data, g.data, m.data, v.data, p.size, sel, f(info, 6, "lr"), f(info, 7, "beta1"), f(info, 8, "beta2"),
           f(info, 9, "eps"), f(info, 10, "weightDecay"), bool_arg(info, 11, "decoupled"), step);
}

void adagrad_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = typed_arg<float>(info, 0, "param");
  auto g = typed_arg<float>(info, 1, "grad");
  auto s = typed_arg<float>(info, 2, "sum");
  expect_size(env, g.size, p.size, "grad");
  expect_size(env, s.size, p.size, "sum");
  RowSel sel = row_sel(info, 3, p.size);
  double step = num_arg(info, 9, "step");
  if (!(step >= 1)) throw_range(env, "step must be >= 1");
  if (!p.size) return;
  adagrad_f32(p.data, g.data, s.data, p.size, sel, f(info, 5, "lr"), f(info, 6, "eps"), f(info, 7, "weightDecay"),
              f(info, 8, "lrDecay"), step);
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("sgd", Napi::Function::New(env, sgd_binding, "sgd"));
  exports.Set("adam", Napi::Function::New(env, adam_binding, "adam"));
  exports.Set("adagrad", Napi::Function::New(env, adagrad_binding, "adagrad"));
}

}  // namespace mtgrad
