// float64 GEMM: a cache-blocked i-p-j loop (the inner loop is a unit-stride axpy the compiler vectorises) over
// row blocks spread across the pool. Transposed operands are read through strides; B is blocked in KB x NB tiles
// so a tile stays in L2 while a row block streams through it. Simple, but an order of magnitude above naive.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "../thread_pool.h"
#include "../kernel_table.h"
#include "gemm.h"

namespace mtgrad {
namespace {

double act_f64(int act, double x) {
  switch (act) {
    case ACT_RELU: return x > 0 ? x : (x != x ? x : 0.0);
    case ACT_SIGMOID: return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x));
    case ACT_TANH: return std::tanh(x);
    case ACT_GELU: return 0.5 * x * (1.0 + std::erf(x * 0.70710678118654752));
    default: return x;
  }
}

}  // namespace

void dgemm(const double* a, const double* b, double* c, const double* bias, const GemmShape& s) {
  const long m = s.m, k = s.k, n = s.n;
  if (s.batch == 0 || m == 0 || n == 0) return;
  const long KB = 128, NB = 512;
  const double flops = 2.0 * static_cast<double>(m * n) * static_cast<double>(k) * static_cast<double>(s.batch);
  const size_t rows = static_cast<size_t>(s.batch * m);
  parallel_for(rows, flops > 2e6 ? std::max<size_t>(1, rows / 64) : rows, [&](size_t r0, size_t r1) {
    std::memset(c + r0 * static_cast<size_t>(n), 0, sizeof(double) * (r1 - r0) * static_cast<size_t>(n));
    for (long jb = 0; jb < n; jb += NB) {
      long je = std::min(n, jb + NB);
      for (long pb = 0; pb < k; pb += KB) {
        long pe = std::min(k, pb + KB);
        for (size_t r = r0; r < r1; ++r) {
          long e = static_cast<long>(r) / m, i = static_cast<long>(r) % m;
          const double* ae = a + e * s.a_stride;
          const double* be = b + e * s.b_stride;
          double* ci = c + r * static_cast<size_t>(n);
          for (long p = pb; p < pe; ++p) {
            double aip = s.trans_a ? ae[p * m + i] : ae[i * k + p];
            if (!s.trans_b) {
              const double* bp = be + p * n;
              for (long j = jb; j < je; ++j) ci[j] += aip * bp[j];
            } else {
              for (long j = jb; j < je; ++j) ci[j] += aip * be[j * k + p];
            }
          }
        }
      }
    }
    if (bias || s.act)
      for (size_t r = r0; r < r1; ++r)
        for (long j = 0; j < n; ++j) {
          double v = c[r * n + j] + (bias ? bias[j] : 0.0);
          c[r * n + j] = act_f64(s.act, v);
        }
  });
}

}  // namespace mtgrad
