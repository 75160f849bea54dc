// Reductions over the middle axis of [outer, n, inner] and row softmax. Sums and products accumulate in double
// (as the reference does), so results agree with it to float rounding whatever n is.
#include <algorithm>
#include <vector>

#include "cpu.h"
#include "ops.h"
#include "thread_pool.h"

namespace mtgrad {
namespace {

// First index of the extreme; a NaN counts as the extreme (the first NaN wins).
template <bool Max>
int32_t arg_extreme(const float* x, long n, long stride) {
  float best = x[0];
  int32_t at = 0;
  if (best != best) return 0;
  for (long i = 1; i < n; ++i) {
    float v = x[i * stride];
    if (v != v) return static_cast<int32_t>(i);
    if (Max ? v > best : v < best) {
      best = v;
      at = static_cast<int32_t>(i);
    }
  }
  return at;
}

// One output run out[o, j0..j1) for the strided (inner > 1) case.
void reduce_cols(int op, const float* x, void* out, long o, long n, long inner, long j0, long j1) {
  const KernelTable& kt = kernels();
  const float* base = x + o * n * inner;
  const size_t len = static_cast<size_t>(j1 - j0);
  if (op == R_ARGMAX || op == R_ARGMIN) {
    int32_t* dst = static_cast<int32_t*>(out) + o * inner;
    for (long j = j0; j < j1; ++j)
      dst[j] = op == R_ARGMAX ? arg_extreme<true>(base + j, n, inner) : arg_extreme<false>(base + j, n, inner);
    return;
  }
  float* dst = static_cast<float*>(out) + o * inner + j0;
  if (op == R_SUM || op == R_PROD) {
    std::vector<double> acc(len, op == R_SUM ? 0.0 : 1.0);
    for (long i = 0; i < n; ++i) {
      const float* row = base + i * inner + j0;
      if (op == R_SUM) kt.accumulate(acc.data(), row, len);
      else
        for (size_t j = 0; j < len; ++j) acc[j] *= static_cast<double>(row[j]);
    }
    for (size_t j = 0; j < len; ++j) dst[j] = static_cast<float>(acc[j]);
    return;
  }
  // max / min with NaN propagation
  const bool mx = op == R_MAX;
  for (size_t j = 0; j < len; ++j) dst[j] = base[j0 + static_cast<long>(j)];
  for (long i = 1; i < n; ++i) {
    const float* row = base + i * inner + j0;
    for (size_t j = 0; j < len; ++j) {
      float v = row[j], c = dst[j];
      dst[j] = (c != c) ? c : (v != v ? v : (mx ? (v > c ? v : c) : (v < c ? v : c)));
    }
  }
}

}  // namespace

void reduce_f32(int op, const float* x, void* out, long outer, long n, long inner) {
  if (outer == 0 || inner == 0) return;
  const KernelTable& kt = kernels();
  if (inner == 1) {
    size_t grain = std::max<size_t>(1, kParallelElements / static_cast<size_t>(std::max<long>(n, 1)));
    parallel_for(static_cast<size_t>(outer), grain, [&](size_t o0, size_t o1) {
      for (size_t o = o0; o < o1; ++o) {
        const float* row = x + static_cast<long>(o) * n;
        switch (op) {
          case R_SUM: static_cast<float*>(out)[o] = static_cast<float>(kt.sum(row, static_cast<size_t>(n))); break;
          case R_PROD: {
            double p = 1.0;
            for (long i = 0; i < n; ++i) p *= static_cast<double>(row[i]);
            static_cast<float*>(out)[o] = static_cast<float>(p);
            break;
          }
          case R_MAX: static_cast<float*>(out)[o] = kt.max(row, static_cast<size_t>(n)); break;
          case R_MIN: static_cast<float*>(out)[o] = kt.min(row, static_cast<size_t>(n)); break;
          case R_ARGMAX: static_cast<int32_t*>(out)[o] = arg_extreme<true>(row, n, 1); break;
          default: static_cast<int32_t*>(out)[o] = arg_extreme<false>(row, n, 1); break;
        }
      }
    });
    return;
  }
  if (n == 0) {  // sum -> 0, prod -> 1 (the only legal ops for n = 0)
    float v = op == R_PROD ? 1.0f : 0.0f;
    std::fill(static_cast<float*>(out), static_cast<float*>(out) + outer * inner, v);
    return;
  }
  // Tasks: (outer row) x (chunk of inner columns), so outer = 1 (e.g. a bias gradient) still splits.
  // Column chunks of at most 2048 (the double accumulators stay in L1), and small enough that a single outer row
  // (a bias gradient: outer 1, n = rows, inner = features) still gives every thread a share.
  const long per_thread = (inner + num_threads() - 1) / num_threads();
  const long chunk = std::min<long>(2048, std::max<long>(64, (per_thread + 15) / 16 * 16));
  const long chunks = (inner + chunk - 1) / chunk;
  const size_t tasks = static_cast<size_t>(outer * chunks);
  size_t per_task = static_cast<size_t>(n * std::min(inner, chunk));
  parallel_for(tasks, std::max<size_t>(1, kParallelElements / per_task), [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      long o = static_cast<long>(t) / chunks, c = static_cast<long>(t) % chunks;
      reduce_cols(op, x, out, o, n, inner, c * chunk, std::min(inner, (c + 1) * chunk));
    }
  });
}

void softmax_f32(const float* x, float* y, long rows, long n, bool log) {
  if (rows == 0 || n == 0) return;
  const KernelTable& kt = kernels();
  size_t grain = std::max<size_t>(1, kParallelElements / static_cast<size_t>(n));
  parallel_for(static_cast<size_t>(rows), grain, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) kt.softmax_row(x + r * static_cast<size_t>(n), y + r * static_cast<size_t>(n),
                                                     static_cast<size_t>(n), log);
  });
}

}  // namespace mtgrad
