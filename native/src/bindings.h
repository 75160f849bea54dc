// Each bindings_*.cpp registers its functions on the addon's exports.
#pragma once
#include <napi.h>

namespace mtgrad {
void register_gemm(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Env env, Napi::Object exports);
void register_misc(Napi::Env env, Napi::Object exports);
void register_optim(Napi::Env env, Napi::Object exports);
void register_movement(Napi::Env env, Napi::Object exports);
void register_plan(Napi::Env env, Napi::Object exports);  // plan.cpp: runPlan, a captured step in one call
}  // namespace mtgrad
