// GEMM without packing, for products too small to amortise packing (or matrix-vector shapes where every operand
// element is used once): loops ordered so the innermost one is unit-stride in memory and runs a vectorised kernel.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>

#include "../cpu.h"
#include "../thread_pool.h"
#include "gemm.h"

namespace mtgrad {

// Rows of C a thread claims at once on the rowb kernel. Measured on 2 threads (Zen 5, n = 16..64, k = 256..500,
// m = 512..4096), the products' time against the unit's rows: 64 the fastest at every m (2048 x 500 x 48: 296 µs,
// 128-row units 335-363 µs; 1024 x 256 x 64: 109 against 134-140 µs), units of 42, 56, 70 or 84 rows and of 128
// rows all 10-25 % slower; on one thread the unit does not matter. Consecutive units go to alternating threads,
// so the unit sets how the two threads' streams through A and C interleave.
constexpr long kSkinnyUnitRows = 64;

// The dot kernel vectorises along k and ends every output with a horizontal sum: with k under one vector (an MMoE
// tower's 4 or 8 inputs) that sum is most of the work (1024 x 4 x 8: 22 µs), so short k goes to rowb over the
// transposed B (a few hundred floats to transpose) instead; a single output column stays on dot (rowb would use
// one lane in 16: 1024 x 8 x 1 took 6-7.5 µs there against 5 µs).
bool skinny_uses_dot(long m, long n, long k, bool ta, bool tb) {
  return tb && !ta && (n < 16 || m <= 16) && (k >= 16 || n == 1);
}

bool sgemm_skinny(const float* a, const float* b, float* c, long m, long k, long n, bool ta, bool tb,
                  const float* bias, int act, int nthreads) {
  const KernelTable& kt = kernels();
  if (!kt.gemm_rowb || !kt.gemm_dot) return false;
  // NT with a short side: dot products (both operands read along k). Otherwise B is used row-major: as is for NN
  // and TN (a transposed A only changes its strides), through a transposed copy of the (short or small) B for
  // NT and TT.
  const bool dot = skinny_uses_dot(m, n, k, ta, tb);
  std::unique_ptr<float[]> bt;
  const float* bb = b;
  if (tb && !dot) {
    bt.reset(new float[static_cast<size_t>(k * n)]);
    for (long j = 0; j < n; ++j)
      for (long p = 0; p < k; ++p) bt[static_cast<size_t>(p * n + j)] = b[j * k + p];
    bb = bt.get();
  }
  // C is cut into fixed units (row groups when C is taller than wide, else 64-column blocks) that the threads
  // claim in turn: every element is computed by one thread in one fixed order, so the result does not depend on
  // which thread takes which unit, and a worker that wakes late leaves its units to the caller.
  // Rows: an eighth of C a unit, at most kSkinnyUnitRows on rowb (see there).
  const long colq = 64;
  const bool by_rows = m >= n || n <= colq;
  const long eighth = (m + 7) / 8;
  const long rows_per = dot ? std::max<long>(3, eighth) : std::max<long>(7, std::min(kSkinnyUnitRows, eighth));
  const long units = by_rows ? (m + rows_per - 1) / rows_per : (n + colq - 1) / colq;
  auto unit = [&](long u) {
    const long i0 = by_rows ? u * rows_per : 0, i1 = by_rows ? std::min(m, (u + 1) * rows_per) : m;
    const long j0 = by_rows ? 0 : u * colq, j1 = by_rows ? n : std::min(n, (u + 1) * colq);
    if (dot)
      kt.gemm_dot(i1 - i0, j1 - j0, k, a + i0 * k, k, b + j0 * k, k, c + i0 * n + j0, n);
    else
      kt.gemm_rowb(i1 - i0, j1 - j0, k, a + (ta ? i0 : i0 * k), ta ? 1 : k, ta ? m : 1, bb + j0, n, c + i0 * n + j0, n,
                   false);
    if (bias || act)
      for (long i = i0; i < i1; ++i)
        kt.bias_act(act, c + i * n + j0, bias ? bias + j0 : nullptr, static_cast<size_t>(j1 - j0));
  };
  std::atomic<long> next{0};
  auto work = [&](int, int) {
    for (long u; (u = next.fetch_add(1, std::memory_order_relaxed)) < units;) unit(u);
  };
  if (nthreads <= 1 || units < 2 || !run_dynamic(nthreads, work)) work(0, 1);
  return true;
}

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
