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

// Which kernel sgemm runs a batch-1 product of shape s on: SKINNY_NONE (packed or small path), SKINNY_DOT
// (kt.gemm_dot over A and B as stored), SKINNY_ROWB (kt.gemm_rowb with B row-major as stored), SKINNY_ROWB_BT
// (kt.gemm_rowb over a transposed copy of B). On the skinny kernels every element of C is one fixed chain of FMAs
// whatever rows or columns a call covers, so a caller may compute a product by row or column blocks with the same
// kernel and get sgemm's result bit for bit (the captured plan interleaves products that share an operand).
enum SkinnyKind : int { SKINNY_NONE, SKINNY_DOT, SKINNY_ROWB, SKINNY_ROWB_BT };
SkinnyKind sgemm_skinny_kind(const GemmShape& s);

// Whether sgemm_skinny uses the dot kernel (NT with a short side) for this shape; otherwise rowb.
bool skinny_uses_dot(long m, long n, long k, bool ta, bool tb);

// Applies bias + activation to an [m, n] block of C rows (row stride ldc).
void gemm_epilogue(float* c, long m, long n, long ldc, const float* bias, int act);

}  // namespace mtgrad
