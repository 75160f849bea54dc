// The per-instruction-set kernel table. Every variant (src/variants/*.cpp) compiles the same kernel sources with
// its own target flags and exports one of these; cpu.cpp selects the best table the CPU supports, once, at load.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mtgrad {

// Operation codes shared with src/backends/native/opcodes.ts (keep in the same order).
enum UnaryOp : int {
  U_NEG, U_EXP, U_EXPM1, U_LOG, U_LOG1P, U_SQRT, U_RSQRT, U_SQUARE, U_RECIPROCAL,
  U_ABS, U_SIGN, U_FLOOR, U_CEIL, U_ROUND,
  U_SIN, U_COS, U_TANH, U_SIGMOID, U_LOGSIGMOID, U_SOFTPLUS, U_ERF,
  U_RELU, U_GELU, U_GELUTANH, U_ELU, U_LEAKYRELU, U_COUNT
};
enum BinaryOp : int {
  B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MINIMUM, B_MAXIMUM, B_MOD,
  B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_COUNT
};
enum Activation : int { ACT_NONE, ACT_RELU, ACT_SIGMOID, ACT_TANH, ACT_GELU, ACT_COUNT };

// Per-call constants of one Adam/AdamW update (see optim.cpp).
struct AdamConsts {
  float beta1, beta2, eps, step_size, bc2_sqrt, decay, l2;
};

struct KernelTable {
  const char* name;
  // ---- GEMM micro-kernel: C[MR x NR] (row stride ldc) = (accumulate ? C : 0) + Ap · Bp over kc steps.
  // Ap holds MR floats per k step, Bp NR floats per k step (packed panels, 64-byte aligned).
  int mr, nr;
  void (*microkernel)(long kc, const float* ap, const float* bp, float* c, long ldc, bool accumulate);
  // ---- elementwise, contiguous ----
  void (*unary)(int op, const float* x, float* y, size_t n, float alpha);
  // y = a op b, where a (or b) may be a scalar broadcast along the run: stride 0 or 1 per operand.
  void (*binary)(int op, const float* a, size_t sa, const float* b, size_t sb, float* y, size_t n);
  // In-place activation over a contiguous run (the fused GEMM epilogue), with an optional bias row added first.
  void (*bias_act)(int act, float* y, const float* bias, size_t n);
  // ---- reductions over a contiguous run ----
  double (*sum)(const float* x, size_t n);
  // max/min: NaN wins (propagates).
  float (*max)(const float* x, size_t n);
  float (*min)(const float* x, size_t n);
  // y[j] += x[j] in double accumulators (column sums when the reduced axis is not innermost).
  void (*accumulate)(double* acc, const float* x, size_t n);
  // ---- softmax of one row ----
  void (*softmax_row)(const float* x, float* y, size_t n, bool log);
  // ---- fused ----
  void (*bce)(const float* x, const float* t, float* y, size_t n, bool grad);
  float (*dot)(const float* a, const float* b, size_t n);
  // Four dot products sharing `a` (a is read once): out[j] = dot(a, b[j], n), each bit-identical to dot().
  void (*dot4)(const float* a, const float* b0, const float* b1, const float* b2, const float* b3, size_t n, float* out);
  // y += s * x
  void (*axpy)(float s, const float* x, float* y, size_t n);
  // dot / dot4 / axpy reading b (or x) through relu (keeps NaN): the gated mixture's fused expert activation.
  float (*dot_relu)(const float* a, const float* b, size_t n);
  void (*dot4_relu)(const float* a, const float* b0, const float* b1, const float* b2, const float* b3, size_t n,
                    float* out);
  void (*axpy_relu)(float s, const float* x, float* y, size_t n);
  // The whole gated mixture (forward / backward) over batch rows [r0, r1) for narrow experts (d < 16, e <= 64):
  // the same arithmetic as the per-row dot/axpy calls, without a call per (row, task, expert). Return false (and
  // do nothing) outside that case. se, sb: MixtureDims' stride_e, stride_b.
  bool (*mixture_rows)(bool relu, const float* experts, const float* logits, float* out, float* weights, long e,
                       long b, long d, long t, long se, long sb, long r0, long r1);
  bool (*mixture_bwd_rows)(bool relu, const float* g_out, const float* experts, const float* weights,
                           float* g_experts, float* g_logits, long e, long b, long d, long t, long se, long sb,
                           long r0, long r1);
  // g = 0 where x <= 0: relu's gradient mask.
  void (*relu_mask)(const float* x, float* g, size_t n);
  // ---- optimizer: one Adam/AdamW update of n contiguous elements, in place ----
  void (*adam)(float* p, const float* g, float* m, float* v, size_t n, const AdamConsts& c);
  // ---- unpacked register-blocked GEMM for skinny products (kernels/skinny.inc); null where the ISA has none ----
  // C[i*ldc + j] (+)= sum_p A(i,p) * b[p*ldb + j] for i < m, j < n, with A(i,p) = a[i*ars + p*acs].
  void (*gemm_rowb)(long m, long n, long k, const float* a, long ars, long acs, const float* b, long ldb, float* c,
                    long ldc, bool accumulate);
  // C[i*ldc + j] = sum_p a[i*lda + p] * b[j*ldb + p] for i < m, j < n.
  void (*gemm_dot)(long m, long n, long k, const float* a, long lda, const float* b, long ldb, float* c, long ldc);
  // dst[c*ldd + r] = src[r*lds + c] for r, c < 16 (null where the ISA has none).
  void (*transpose16)(const float* src, long lds, float* dst, long ldd);
  // dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols (<= 16); lanes r in [rows, lanes) written as zeros;
  // reads nothing outside the rows x cols block (null where the ISA has none).
  void (*transpose16_masked)(const float* src, long lds, int rows, int cols, float* dst, long ldd, int lanes);
};

const KernelTable* table_generic();
const KernelTable* table_avx2();
const KernelTable* table_avx512();

}  // namespace mtgrad
