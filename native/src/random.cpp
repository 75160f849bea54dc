// Philox4x32-10, bit-identical to src/backends/philox.ts, and the uniform / normal / randint transforms of
// kernels.ts (RandomParams), evaluated in double exactly as the reference writes them.
#include <cmath>

#include "ops.h"
#include "thread_pool.h"

namespace mtgrad {

void philox4x32(uint32_t c0, uint32_t c1, uint32_t k0, uint32_t k1, uint32_t out[4]) {
  uint32_t x0 = c0, x1 = c1, x2 = 0, x3 = 0;
  for (int r = 0; r < 10; ++r) {
    uint64_t p0 = static_cast<uint64_t>(0xd2511f53u) * x0;
    uint64_t p1 = static_cast<uint64_t>(0xcd9e8d57u) * x2;
    uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    x0 = hi1 ^ x1 ^ k0;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ k1;
    x3 = lo0;
    k0 += 0x9e3779b9u;
    k1 += 0xbb67ae85u;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

namespace {
template <typename T>
void fill(T* out, size_t n0, size_t n1, int dist, uint32_t klo, uint32_t khi, uint64_t offset, double a, double b) {
  const double two_m24 = 1.0 / 16777216.0;
  const double two_pi = 2.0 * 3.141592653589793;
  uint32_t w[4];
  for (size_t i = n0; i < n1; ++i) {
    uint64_t ctr = offset + i;
    philox4x32(static_cast<uint32_t>(ctr), static_cast<uint32_t>(ctr >> 32), klo, khi, w);
    double v;
    if (dist == DIST_UNIFORM) {
      v = a + (b - a) * ((w[0] >> 8) * two_m24);
    } else if (dist == DIST_NORMAL) {
      double u1 = ((w[0] >> 8) + 1) * two_m24;
      double u2 = (w[1] >> 8) * two_m24;
      v = a + b * std::sqrt(-2.0 * std::log(u1)) * std::cos(two_pi * u2);
    } else {
      // The range is below 2^32 (checked in TS); mulhi32 then fits a double exactly.
      uint64_t range = static_cast<uint64_t>(b - a);
      v = a + static_cast<double>((static_cast<uint64_t>(w[0]) * range) >> 32);
    }
    out[i] = static_cast<T>(v);
  }
}
}  // namespace

void random_fill(void* out, int dtype, size_t n, int dist, uint32_t seed_lo, uint32_t seed_hi, uint64_t offset,
                 double a, double b) {
  parallel_for(n, kParallelElements / 8, [&](size_t i0, size_t i1) {
    if (dtype == 0) fill(static_cast<float*>(out), i0, i1, dist, seed_lo, seed_hi, offset, a, b);
    else if (dtype == 1) fill(static_cast<double*>(out), i0, i1, dist, seed_lo, seed_hi, offset, a, b);
    else fill(static_cast<int32_t*>(out), i0, i1, dist, seed_lo, seed_hi, offset, a, b);
  });
}

}  // namespace mtgrad
