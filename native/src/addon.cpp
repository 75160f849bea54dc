// The addon entry point: registers every binding plus runtime info and thread-count control.
#include <napi.h>

#include "bindings.h"
#include "cpu.h"
#include "thread_pool.h"
#include "napi_util.h"

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
  return exports;
}

}  // namespace mtgrad

static Napi::Object Init(Napi::Env env, Napi::Object exports) { return mtgrad::init(env, exports); }
NODE_API_MODULE(mtgrad_native, Init)
