// Batched GEMM entry points: out[b] = act(op(A[b]) · op(B[b]) + bias) for b < batch, row-major, with batch strides
// (0 broadcasts one matrix). Arguments are validated by the caller (bindings_gemm.cpp).
#pragma once

namespace mtgrad {

struct GemmShape {
  long batch, m, k, n;
  bool trans_a, trans_b;
  long a_stride, b_stride;  // elements between batch entries (0 = broadcast)
  int act;                  // Activation (kernel_table.h)
};

void sgemm(const float* a, const float* b, float* c, const float* bias, const GemmShape& s);
void dgemm(const double* a, const double* b, double* c, const double* bias, const GemmShape& s);

// Unpacked path for small products (also the per-entry path of many small batched products): c = A·B exactly
// once through each operand, no temporaries. Epilogue not applied.
void sgemm_small(const float* a, const float* b, float* c, long m, long k, long n, bool ta, bool tb);

// Register-blocked unpacked path for skinny products (m or n <= 64) and small ones, bias + activation applied,
// split over up to nthreads threads. Returns false (nothing done) where the CPU's kernel table has no such kernel.
bool sgemm_skinny(const float* a, const float* b, float* c, long m, long k, long n, bool ta, bool tb,
                  const float* bias, int act, int nthreads);

// True when sgemm serves this product with sgemm_skinny (batch 1): the products sgemm_skinny_shared_a may group.
bool sgemm_is_skinny(const GemmShape& s);

// The work (flops) above which sgemm splits one skinny product over the pool.
double skinny_parallel_flops();

// One member of a group of products sharing the row-major A [m, k]: C [m, n] = act(A · op(B) + bias).
struct SkinnyMember {
  const float* b;
  float* c;
  const float* bias;
  long n;
  bool tb;
  int act;
};

// The members computed exactly as sgemm_skinny computes each (same kernel per member, same fixed chain per element,
// same epilogue: bit-identical to separate calls), but together, row block by row block, in ONE dispatch over the
// pool: a block of A's rows is read from memory once and reused from cache by every member (an MMoE's experts and
// gates all read the same input). Outputs must not overlap any member's operands.
void sgemm_skinny_shared_a(const float* a, long m, long k, const SkinnyMember* members, int count, int nthreads);

// Applies bias + activation to an [m, n] block of C rows (row stride ldc).
void gemm_epilogue(float* c, long m, long n, long ldc, const float* bias, int act);

}  // namespace mtgrad
