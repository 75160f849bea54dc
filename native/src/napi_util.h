// Argument decoding for the bindings. The TypeScript side validates everything first; these checks are the cheap
// second line, so a bad call throws a JavaScript TypeError/RangeError instead of reading out of bounds.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace mtgrad {

template <typename T>
struct TypedArrayTraits;
template <>
struct TypedArrayTraits<float> {
  static constexpr napi_typedarray_type type = napi_float32_array;
  static constexpr const char* name = "Float32Array";
};
template <>
struct TypedArrayTraits<double> {
  static constexpr napi_typedarray_type type = napi_float64_array;
  static constexpr const char* name = "Float64Array";
};
template <>
struct TypedArrayTraits<int32_t> {
  static constexpr napi_typedarray_type type = napi_int32_array;
  static constexpr const char* name = "Int32Array";
};
template <>
struct TypedArrayTraits<uint32_t> {
  static constexpr napi_typedarray_type type = napi_uint32_array;
  static constexpr const char* name = "Uint32Array";
};

[[noreturn]] inline void throw_type(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, "mtgrad native: " + msg);
}
[[noreturn]] inline void throw_range(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, "mtgrad native: " + msg);
}

template <typename T>
struct View {
  T* data;
  size_t size;
};

// The typed array at argument i, which must have element type T (zero-copy view of its memory).
template <typename T>
View<T> typed_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = info[i];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayTraits<T>::type)
    throw_type(info.Env(), std::string(what) + " must be a " + TypedArrayTraits<T>::name);
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  return View<T>{arr.Data(), arr.ElementLength()};
}

// Like typed_arg but null/undefined gives {nullptr, 0}.
template <typename T>
View<T> optional_typed_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info[i].IsNull() || info[i].IsUndefined()) return View<T>{nullptr, 0};
  return typed_arg<T>(info, i, what);
}

// dtype code of a typed array argument: 0 float32, 1 float64, 2 int32; throws for anything else.
inline int dtype_of(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = info[i];
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_float32_array: return 0;
      case napi_float64_array: return 1;
      case napi_int32_array: return 2;
      default: break;
    }
  }
  throw_type(info.Env(), std::string(what) + " must be a Float32Array, Float64Array or Int32Array");
}

inline void* typed_data(const Napi::CallbackInfo& info, size_t i, size_t* length) {
  auto arr = info[i].As<Napi::TypedArray>();
  *length = arr.ElementLength();
  return static_cast<char*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
}

// A non-negative safe integer argument (sizes, counts, strides).
inline long size_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = info[i];
  if (!v.IsNumber()) throw_type(info.Env(), std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d)
    throw_range(info.Env(), std::string(what) + " must be a non-negative safe integer");
  return static_cast<long>(d);
}

inline double num_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsNumber()) throw_type(info.Env(), std::string(what) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}

inline bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsBoolean()) throw_type(info.Env(), std::string(what) + " must be a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

// Product of sizes with overflow detection (everything must stay below 2^53 like a JS length).
inline size_t checked_product(Napi::Env env, std::initializer_list<long> dims) {
  double p = 1;
  for (long x : dims) p *= static_cast<double>(x);
  if (p > 9007199254740991.0) throw_range(env, "size overflow");
  size_t r = 1;
  for (long x : dims) r *= static_cast<size_t>(x);
  return r;
}

inline void expect_size(Napi::Env env, size_t actual, size_t expected, const char* what) {
  if (actual != expected)
    throw_range(env, std::string(what) + " has " + std::to_string(actual) + " elements, expected " +
                         std::to_string(expected));
}

inline void expect_at_least(Napi::Env env, size_t actual, size_t expected, const char* what) {
  if (actual < expected)
    throw_range(env, std::string(what) + " has " + std::to_string(actual) + " elements, needs at least " +
                         std::to_string(expected));
}

// ---- parameter structs: the kernel interface's params objects (MatmulParams, AdamParams, ...) read by field name ----

// The object at argument i (a params struct).
inline Napi::Object params_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (!info[i].IsObject()) throw_type(info.Env(), std::string(what) + " must be an object");
  return info[i].As<Napi::Object>();
}

inline double num_field(Napi::Env env, const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw_type(env, std::string("field '") + name + "' must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

inline long size_field(Napi::Env env, const Napi::Object& o, const char* name) {
  double d = num_field(env, o, name);
  if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d)
    throw_range(env, std::string("field '") + name + "' must be a non-negative safe integer");
  return static_cast<long>(d);
}

inline bool bool_field(Napi::Env env, const Napi::Object& o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsBoolean()) throw_type(env, std::string("field '") + name + "' must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// The index of string field `name` in names[0..count); `fallback` (or an error when < 0) where the field is absent.
inline int name_field(Napi::Env env, const Napi::Object& o, const char* name, const char* const* names, int count,
                      int fallback = -1) {
  Napi::Value v = o.Get(name);
  if (v.IsUndefined() && fallback >= 0) return fallback;
  if (v.IsString()) {
    std::string s = v.As<Napi::String>().Utf8Value();
    for (int i = 0; i < count; ++i)
      if (s == names[i]) return i;
    throw_range(env, std::string("field '") + name + "' has unknown value '" + s + "'");
  }
  throw_type(env, std::string("field '") + name + "' must be a string");
}

}  // namespace mtgrad
