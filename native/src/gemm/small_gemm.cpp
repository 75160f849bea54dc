// GEMM without packing, for products too small to amortise packing (or matrix-vector shapes where every operand
// element is used once): loops ordered so the innermost one is unit-stride in memory and runs a vectorised kernel.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "../cpu.h"
#include "../thread_pool.h"
#include "gemm.h"

namespace mtgrad {

bool sgemm_skinny(const float* a, const float* b, float* c, long m, long k, long n, bool ta, bool tb,
                  const float* bias, int act, int nthreads) {
  const KernelTable& kt = kernels();
  if (!kt.gemm_rowb || !kt.gemm_dot) return false;
  // NT with a short side: dot products (both operands read along k). Otherwise B is used row-major: as is for NN
  // and TN (a transposed A only changes its strides), through a transposed copy of the (short or small) B for
  // NT and TT.
  const bool dot = tb && !ta && (n < 16 || m <= 16);
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
  const long colq = 64;
  const bool by_rows = m >= n || n <= colq;
  const long rows_per = std::max<long>(dot ? 3 : 7, (m + 7) / 8);
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

void sgemm_skinny_shared_a(const float* a, long m, long k, const SkinnyMember* members, int count, int nthreads) {
  const KernelTable& kt = kernels();
  // Per member, the form sgemm_skinny picks (A is row-major here): dot products for NT with few columns or rows,
  // else rowb over B row-major (a transposed copy of B for NT, as sgemm_skinny makes).
  std::vector<bool> dot(static_cast<size_t>(count));
  std::vector<std::unique_ptr<float[]>> copies(static_cast<size_t>(count));
  std::vector<const float*> bs(static_cast<size_t>(count));
  for (int q = 0; q < count; ++q) {
    const SkinnyMember& s = members[q];
    dot[static_cast<size_t>(q)] = s.tb && (s.n < 16 || m <= 16);
    bs[static_cast<size_t>(q)] = s.b;
    if (s.tb && !dot[static_cast<size_t>(q)]) {
      float* bt = new float[static_cast<size_t>(k * s.n)];
      for (long j = 0; j < s.n; ++j)
        for (long p = 0; p < k; ++p) bt[static_cast<size_t>(p * s.n + j)] = s.b[j * k + p];
      copies[static_cast<size_t>(q)].reset(bt);
      bs[static_cast<size_t>(q)] = bt;
    }
  }
  // Row blocks of 21 (whole tiles of both kernels: 7-row rowb, 3-row dot), more while they fit 32 KiB of A, so a
  // block stays in L1 while every member reads it.
  const long rows_per = std::max<long>(21, (32768 / std::max<long>(1, k * 4)) / 21 * 21);
  const long units = (m + rows_per - 1) / rows_per;
  auto unit = [&](long u) {
    const long i0 = u * rows_per, i1 = std::min(m, (u + 1) * rows_per);
    for (int q = 0; q < count; ++q) {
      const SkinnyMember& s = members[q];
      const long n = s.n;
      if (dot[static_cast<size_t>(q)])
        kt.gemm_dot(i1 - i0, n, k, a + i0 * k, k, s.b, k, s.c + i0 * n, n);
      else
        kt.gemm_rowb(i1 - i0, n, k, a + i0 * k, k, 1, bs[static_cast<size_t>(q)], n, s.c + i0 * n, n, false);
      if (s.bias || s.act)
        for (long i = i0; i < i1; ++i) kt.bias_act(s.act, s.c + i * n, s.bias, static_cast<size_t>(n));
    }
  };
  std::atomic<long> next{0};
  auto work = [&](int, int) {
    for (long u; (u = next.fetch_add(1, std::memory_order_relaxed)) < units;) unit(u);
  };
  if (nthreads <= 1 || units < 2 || !run_dynamic(nthreads, work)) work(0, 1);
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
