// The addon entry point: registers every binding plus runtime info and thread-count control.
#include <napi.h>

#include "bindings.h"
#include "cpu.h"
#include "thread_pool.h"
#include "napi_util.h"
#include "op_names.h"

namespace mtgrad {
namespace {

Napi::Value info_binding(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("isa", kernels().name);
  o.Set("description", cpu_description());
  o.Set("threads", num_threads());
  o.Set("mr", kernels().mr);
  o.Set("nr", kernels().nr);
  return o;
}

void set_threads_binding(const Napi::CallbackInfo& info) {
  long n = size_arg(info, 0, "threads");
  if (n < 1) throw_range(info.Env(), "threads must be >= 1");
  set_num_threads(static_cast<int>(n > 256 ? 256 : n));
}

template <size_t N>
Napi::Array names_array(Napi::Env env, const char* const (&names)[N]) {
  Napi::Array a = Napi::Array::New(env, N);
  for (size_t i = 0; i < N; ++i) a.Set(static_cast<uint32_t>(i), names[i]);
  return a;
}

// The op names behind each code argument, in code order (op_names.h): the TypeScript side derives its codes from
// these and names any op it needs that the addon lacks.
Napi::Object op_names(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("unary", names_array(env, UNARY_NAMES));
  o.Set("binary", names_array(env, BINARY_NAMES));
  o.Set("reduce", names_array(env, REDUCE_NAMES));
  return o;
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, info_binding, "info"));
  exports.Set("setNumThreads", Napi::Function::New(env, set_threads_binding, "setNumThreads"));
  register_gemm(env, exports);
  register_elementwise(env, exports);
  register_misc(env, exports);
  register_optim(env, exports);
  register_movement(env, exports);
  register_plan(env, exports);
  exports.Set("opNames", op_names(env));
  return exports;
}

}  // namespace mtgrad

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return mtgrad::init(env, exports); }
NODE_API_MODULE(mtgrad_native, Init)
