// copyStrided(src, dst, shape, srcStrides, srcBase, dstStrides, dstBase): permute, broadcastTo, slice, sliceWrite
// and concat are all this one copy between strided views (dst dense when dstStrides is null);
// where(cond, a, b, out, condShape, aShape, bShape, outShape).
#include <string>
#include <vector>

#include "bindings.h"
#include "napi_util.h"
#include "ops.h"

namespace mtgrad {
namespace {

constexpr size_t kMaxRank = 32;

std::vector<long> long_array(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsArray()) throw_type(info.Env(), std::string(what) + " must be an array");
  Napi::Array arr = info[i].As<Napi::Array>();
  if (arr.Length() > kMaxRank) throw_range(info.Env(), std::string(what) + " has more than 32 axes");
  std::vector<long> v(arr.Length());
  for (uint32_t j = 0; j < arr.Length(); ++j) {
    Napi::Value x = arr.Get(j);
    double d = x.IsNumber() ? x.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0) || d > 9007199254740991.0 || static_cast<double>(static_cast<long>(d)) != d)
      throw_range(info.Env(), std::string(what) + " must hold non-negative integers");
    v[j] = static_cast<long>(d);
  }
  return v;
}

size_t elem_size(int dtype) { return dtype == 1 ? 8 : 4; }

// The last position a strided view of `shape` reaches from `base` must be inside an array of `size` elements.
void check_reach(Napi::Env env, const std::vector<long>& shape, const std::vector<long>& strides, long base,
                 size_t size, const char* what) {
  double last = static_cast<double>(base);
  for (size_t d = 0; d < shape.size(); ++d) last += static_cast<double>(shape[d] - 1) * static_cast<double>(strides[d]);
  if (!(last < static_cast<double>(size)))
    throw_range(env, std::string(what) + " view reaches element " + std::to_string(static_cast<long>(last)) +
                         " of " + std::to_string(size));
}

void copy_strided_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int dt = dtype_of(info, 0, "src");
  if (dtype_of(info, 1, "dst") != dt) throw_type(env, "src and dst must have the same dtype");
  size_t ss, ds;
  const void* src = typed_data(info, 0, &ss);
  void* dst = typed_data(info, 1, &ds);
  auto shape = long_array(info, 2, "shape");
  auto sst = long_array(info, 3, "srcStrides");
  long sbase = size_arg(info, 4, "srcBase");
  std::vector<long> dst_strides;
  if (info[5].IsNull() || info[5].IsUndefined()) {  // dense destination
    dst_strides.resize(shape.size());
    long s = 1;
    for (size_t d = shape.size(); d-- > 0;) {
      dst_strides[d] = s;
      s *= shape[d];
    }
  } else {
    dst_strides = long_array(info, 5, "dstStrides");
  }
  long dbase = size_arg(info, 6, "dstBase");
  if (sst.size() != shape.size() || dst_strides.size() != shape.size())
    throw_range(env, "shape and strides must have the same length");
  size_t total = checked_product(env, std::initializer_list<long>{});
  for (long d : shape) total = checked_product(env, {static_cast<long>(total), d});
  if (total == 0) return;
  check_reach(env, shape, sst, sbase, ss, "src");
  check_reach(env, shape, dst_strides, dbase, ds, "dst");
  strided_copy(src, dst, elem_size(dt), static_cast<int>(shape.size()), shape.data(), sst.data(), sbase,
               dst_strides.data(), dbase);
}

// Broadcast strides of `in` read as `out` (same rank, each axis equal or 1).
std::vector<long> bstrides(Napi::Env env, const std::vector<long>& in, const std::vector<long>& out, const char* what) {
  if (in.size() != out.size()) throw_range(env, std::string(what) + " shape has a different rank from the output");
  std::vector<long> st(in.size());
  long s = 1;
  for (size_t d = in.size(); d-- > 0;) {
    if (in[d] != out[d] && in[d] != 1) throw_range(env, std::string(what) + " shape does not broadcast to the output");
    st[d] = in[d] == 1 ? 0 : s;
    s *= in[d];
  }
  return st;
}

size_t numel(Napi::Env env, const std::vector<long>& s) {
  size_t n = 1;
  for (long d : s) n = checked_product(env, {static_cast<long>(n), d});
  return n;
}

void where_binding(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int ct = dtype_of(info, 0, "cond");
  int dt = dtype_of(info, 1, "a");
  if (dtype_of(info, 2, "b") != dt || dtype_of(info, 3, "out") != dt) throw_type(env, "a, b and out must share a dtype");
  size_t cs, as, bs, os;
  const void* c = typed_data(info, 0, &cs);
  const void* a = typed_data(info, 1, &as);
  const void* b = typed_data(info, 2, &bs);
  void* out = typed_data(info, 3, &os);
  auto cshape = long_array(info, 4, "condShape"), ashape = long_array(info, 5, "aShape");
  auto bshape = long_array(info, 6, "bShape"), oshape = long_array(info, 7, "outShape");
  auto sc = bstrides(env, cshape, oshape, "cond"), sa = bstrides(env, ashape, oshape, "a");
  auto sb = bstrides(env, bshape, oshape, "b");
  expect_size(env, cs, numel(env, cshape), "cond");
  expect_size(env, as, numel(env, ashape), "a");
  expect_size(env, bs, numel(env, bshape), "b");
  expect_size(env, os, numel(env, oshape), "out");
  if (os == 0) return;
  where_select(c, ct, a, b, out, elem_size(dt), static_cast<int>(oshape.size()), oshape.data(), sc.data(), sa.data(),
               sb.data());
}

}  // namespace

void register_movement(Napi::Env env, Napi::Object exports) {
  exports.Set("copyStrided", Napi::Function::New(env, copy_strided_binding, "copyStrided"));
  exports.Set("where", Napi::Function::New(env, where_binding, "where"));
}

}  // namespace mtgrad
