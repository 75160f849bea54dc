// GEMM without packing, for products too small to amortise packing (or matrix-vector shapes where every operand
// element is used once): loops ordered so the innermost one is unit-stride in memory and runs a vectorised kernel.
#include <cstring>

#include "../cpu.h"
#include "gemm.h"

namespace mtgrad {

void sgemm_small(const float* a, const float* b, float* c, long m, long k, long n, bool ta, bool tb) {
  const KernelTable& kt = kernels();
  if (!tb && m * n <= 8192) {
    // A few output rows (C fits L1): p outermost, so each row of B is read once for all rows of C.
    std::memset(c, 0, sizeof(float) * static_cast<size_t>(m * n));
    for (long p = 0; p < k; ++p) {
      const float* bp = b + p * n;
      for (long i = 0; i < m; ++i) kt.axpy(ta ? a[p * m + i] : a[i * k + p], bp, c + i * n, static_cast<size_t>(n));
    }
  } else if (!tb) {
    // c[i,:] = Σ_p A(i,p) · B[p,:]: axpy over contiguous rows of B.
    for (long i = 0; i < m; ++i) {
      float* ci = c + i * n;
      std::memset(ci, 0, sizeof(float) * static_cast<size_t>(n));
      for (long p = 0; p < k; ++p) {
        float aip = ta ? a[p * m + i] : a[i * k + p];
        kt.axpy(aip, b + p * n, ci, static_cast<size_t>(n));
      }
    }
  } else if (!ta) {
    // c[i,j] = ⟨A[i,:], B[j,:]⟩: both rows contiguous.
    // Four outputs at a time share each load of the A row.
    const size_t kk = static_cast<size_t>(k);
    for (long i = 0; i < m; ++i) {
      const float* ai = a + i * k;
      float* ci = c + i * n;
      long j = 0;
      for (; j + 4 <= n; j += 4) kt.dot4(ai, b + j * k, b + (j + 1) * k, b + (j + 2) * k, b + (j + 3) * k, kk, ci + j);
      for (; j < n; ++j) ci[j] = kt.dot(ai, b + j * k, kk);
    }
  } else {
    // Both transposed: c[i,j] = Σ_p a[p,i]·b[j,p]. Walk p outermost so A reads are contiguous per p.
    std::memset(c, 0, sizeof(float) * static_cast<size_t>(m * n));
    for (long p = 0; p < k; ++p)
      for (long i = 0; i < m; ++i) {
        float aip = a[p * m + i];
        float* ci = c + i * n;
        for (long j = 0; j < n; ++j) ci[j] += aip * b[j * k + p];
      }
  }
}

}  // namespace mtgrad
