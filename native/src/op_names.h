// The names of the addon's operation codes, in enum order. The addon exports them (addon.opNames) and the
// TypeScript side derives its codes from them at load, so the order is held by this table, not by a comment;
// the static_asserts tie each table to its enum's size.
#pragma once
#include "kernel_table.h"
#include "ops.h"

namespace mtgrad {

inline constexpr const char* UNARY_NAMES[] = {
    "neg", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "square", "reciprocal",
    "abs", "sign", "floor", "ceil", "round",
    "sin", "cos", "tanh", "sigmoid", "logSigmoid", "softplus", "erf",
    "relu", "gelu", "geluTanh", "elu", "leakyRelu"};
static_assert(sizeof(UNARY_NAMES) / sizeof(UNARY_NAMES[0]) == U_COUNT, "UNARY_NAMES must follow enum UnaryOp");

inline constexpr const char* BINARY_NAMES[] = {"add", "sub", "mul", "div", "pow", "minimum", "maximum",
                                               "mod", "eq",  "ne",  "lt",  "le",  "gt",      "ge"};
static_assert(sizeof(BINARY_NAMES) / sizeof(BINARY_NAMES[0]) == B_COUNT, "BINARY_NAMES must follow enum BinaryOp");

inline constexpr const char* REDUCE_NAMES[] = {"sum", "prod", "max", "min", "argmax", "argmin"};
static_assert(sizeof(REDUCE_NAMES) / sizeof(REDUCE_NAMES[0]) == R_ARGMIN + 1, "REDUCE_NAMES must follow enum ReduceOp");

inline constexpr const char* ACTIVATION_NAMES[] = {"none", "relu", "sigmoid", "tanh", "gelu"};
static_assert(sizeof(ACTIVATION_NAMES) / sizeof(ACTIVATION_NAMES[0]) == ACT_COUNT,
              "ACTIVATION_NAMES must follow enum Activation");

inline constexpr const char* DIST_NAMES[] = {"uniform", "normal", "randint"};
static_assert(sizeof(DIST_NAMES) / sizeof(DIST_NAMES[0]) == DIST_RANDINT + 1, "DIST_NAMES must follow enum RandomDist");

// MixtureParams.layout: experts [E, B, D] or [B, E, D]; MixtureParams.activation.
inline constexpr const char* LAYOUT_NAMES[] = {"EBD", "BED"};
inline constexpr const char* MIXTURE_ACTIVATION_NAMES[] = {"none", "relu"};

template <size_t N>
constexpr int count_of(const char* const (&)[N]) {
  return static_cast<int>(N);
}

}  // namespace mtgrad
