// gather / scatter-add (embedding lookup and its gradient) and dtype casts.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops.h"
#include "thread_pool.h"

namespace mtgrad {

long check_indices(const int32_t* idx, long m, long n) {
  for (long j = 0; j < m; ++j)
    if (idx[j] < 0 || idx[j] >= n) return j;
  return -1;
}

void gather(const void* x, const int32_t* idx, void* out, long outer, long n, long inner, long m, size_t elem) {
  const size_t row = static_cast<size_t>(inner) * elem;
  const char* src = static_cast<const char*>(x);
  char* dst = static_cast<char*>(out);
  size_t grain = std::max<size_t>(1, kParallelElements / std::max<size_t>(1, static_cast<size_t>(inner)));
  parallel_for(static_cast<size_t>(outer * m), grain, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      long o = static_cast<long>(r) / m, j = static_cast<long>(r) % m;
      std::memcpy(dst + r * row, src + (static_cast<size_t>(o * n + idx[j])) * row, row);
    }
  });
}

namespace {
template <typename T>
void scatter_add(const T* src, const int32_t* idx, T* out, long outer, long n, long inner, long m) {
  std::memset(out, 0, sizeof(T) * static_cast<size_t>(outer * n * inner));
  // Parallel over outer rows (disjoint outputs); duplicates within one row are summed in index order, like the
  // reference, so results are deterministic.
  size_t grain = std::max<size_t>(1, kParallelElements / std::max<size_t>(1, static_cast<size_t>(m * inner)));
  parallel_for(static_cast<size_t>(outer), grain, [&](size_t o0, size_t o1) {
    for (size_t o = o0; o < o1; ++o)
      for (long j = 0; j < m; ++j) {
        const T* s = src + (static_cast<long>(o) * m + j) * inner;
        T* d = out + (static_cast<long>(o) * n + idx[j]) * inner;
        for (long q = 0; q < inner; ++q) d[q] += s[q];
      }
  });
}

int32_t to_int32(double v) {
  if (!std::isfinite(v)) return 0;
  double t = std::trunc(v);
  double w = std::fmod(t, 4294967296.0);
  if (w < 0) w += 4294967296.0;
  uint32_t u = static_cast<uint32_t>(w);
  int32_t r;
  std::memcpy(&r, &u, 4);
  return r;
}

template <typename From>
void cast_from(const From* x, void* out, int to, size_t n) {
  if (to == 0) {
    float* o = static_cast<float*>(out);
    for (size_t i = 0; i < n; ++i) o[i] = static_cast<float>(x[i]);
  } else if (to == 1) {
    double* o = static_cast<double*>(out);
    for (size_t i = 0; i < n; ++i) o[i] = static_cast<double>(x[i]);
  } else {
    int32_t* o = static_cast<int32_t*>(out);
    for (size_t i = 0; i < n; ++i) o[i] = to_int32(static_cast<double>(x[i]));
  }
}
}  // namespace

void scatter_add_f32(const float* src, const int32_t* idx, float* out, long outer, long n, long inner, long m) {
  scatter_add(src, idx, out, outer, n, inner, m);
}
void scatter_add_f64(const double* src, const int32_t* idx, double* out, long outer, long n, long inner, long m) {
  scatter_add(src, idx, out, outer, n, inner, m);
}

void cast(const void* x, int from, void* out, int to, size_t n) {
  if (from == 2 && to == 2) {
    std::memcpy(out, x, n * 4);
  } else if (from == 0) {
    cast_from(static_cast<const float*>(x), out, to, n);
  } else if (from == 1) {
    cast_from(static_cast<const double*>(x), out, to, n);
  } else {
    cast_from(static_cast<const int32_t*>(x), out, to, n);
  }
}

}  // namespace mtgrad
