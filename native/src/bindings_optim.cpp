// In-place optimizer updates over float32 buffers; the hyperparameters are the kernel interface's params objects
// (SgdParams, AdamParams, AdagradParams), read by field name:
// sgd(param, grad, momentumBuf | null, rows | null, rowSize, params)
// adam(param, grad, m, v, rows | null, rowSize, params)
// adagrad(param, grad, sum, rows | null, rowSize, params)
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
  long bad = check_rows(rows.data, static_cast<long>(rows.size), nrows);
  if (bad >= 0)
    throw_range(info.Env(), "row " + std::to_string(rows.data[bad]) + " at position " + std::to_string(bad) +
                                " is out of range [0, " + std::to_string(nrows) + ") (-1: padding, skipped)");
  return RowSel{true, rows.data, static_cast<long>(rows.size), row_size};
}

float f(Napi::Env env, const Napi::Object& p, const char* name) { return static_cast<float>(num_field(env, p, name)); }

double step_field(Napi::Env env, const Napi::Object& p) {
  double step = num_field(env, p, "step");
  if (!(step >= 1)) throw_range(env, "step must be >= 1");
  return step;
}

void sgd_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = typed_arg<float>(info, 0, "param");
  auto g = typed_arg<float>(info, 1, "grad");
  auto buf = optional_typed_arg<float>(info, 2, "momentumBuf");
  expect_size(env, g.size, p.size, "grad");
  if (info[2].IsTypedArray()) expect_size(env, buf.size, p.size, "momentumBuf");
  RowSel sel = row_sel(info, 3, p.size);
  Napi::Object o = params_arg(info, 5, "params");
  const float lr = f(env, o, "lr"), momentum = f(env, o, "momentum"), dampening = f(env, o, "dampening");
  const float weight_decay = f(env, o, "weightDecay");
  const bool nesterov = bool_field(env, o, "nesterov"), first_step = bool_field(env, o, "firstStep");
  if (!p.size) return;
  sgd_f32(p.data, g.data, info[2].IsTypedArray() ? buf.data : nullptr, p.size, sel, lr, momentum, dampening, nesterov,
          weight_decay, first_step);
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
  Napi::Object o = params_arg(info, 6, "params");
  const double step = step_field(env, o);
  const float lr = f(env, o, "lr"), beta1 = f(env, o, "beta1"), beta2 = f(env, o, "beta2"), eps = f(env, o, "eps");
  const float weight_decay = f(env, o, "weightDecay");
  const bool decoupled = bool_field(env, o, "decoupled");
  if (!p.size) return;
  adam_f32(p.data, g.data, m.data, v.data, p.size, sel, lr, beta1, beta2, eps, weight_decay, decoupled, step);
}

void adagrad_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto p = typed_arg<float>(info, 0, "param");
  auto g = typed_arg<float>(info, 1, "grad");
  auto s = typed_arg<float>(info, 2, "sum");
  expect_size(env, g.size, p.size, "grad");
  expect_size(env, s.size, p.size, "sum");
  RowSel sel = row_sel(info, 3, p.size);
  Napi::Object o = params_arg(info, 5, "params");
  const double step = step_field(env, o);
  const float lr = f(env, o, "lr"), eps = f(env, o, "eps"), weight_decay = f(env, o, "weightDecay");
  const float lr_decay = f(env, o, "lrDecay");
  if (!p.size) return;
  adagrad_f32(p.data, g.data, s.data, p.size, sel, lr, eps, weight_decay, lr_decay, step);
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("sgd", Napi::Function::New(env, sgd_binding, "sgd"));
  exports.Set("adam", Napi::Function::New(env, adam_binding, "adam"));
  exports.Set("adagrad", Napi::Function::New(env, adagrad_binding, "adagrad"));
}

}  // namespace mtgrad
