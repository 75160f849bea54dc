// In-place optimizer updates (PyTorch semantics, see kernels.ts) over flat float32 buffers, optionally restricted
// to selected rows (the lazy update of embedding tables). Each update is a pure per-element function, applied to
// contiguous ranges spread over the pool.
#include <algorithm>
#include <cmath>
#include <functional>

#include "cpu.h"
#include "ops.h"
#include "thread_pool.h"

namespace mtgrad {
namespace {

// Calls fn(begin, end) over every element range the selection covers.
void for_ranges(size_t n, const RowSel& sel, const std::function<void(size_t, size_t)>& fn) {
  if (!sel.active) {
    parallel_for(n, kParallelElements, fn);
    return;
  }
  const size_t rs = static_cast<size_t>(sel.row_size);
  size_t grain = std::max<size_t>(1, kParallelElements / std::max<size_t>(1, rs));
  parallel_for(static_cast<size_t>(sel.count), grain, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      if (sel.rows[r] < 0) continue;  // -1: padding of a fixed-length row list (check_rows allowed no other)
      size_t b = static_cast<size_t>(sel.rows[r]) * rs;
      fn(b, b + rs);
    }
  });
}

}  // namespace

long check_rows(const int32_t* rows, long m, long n) {
  for (long j = 0; j < m; ++j)
    if (rows[j] != -1 && (rows[j] < 0 || rows[j] >= n)) return j;
  return -1;
}

void sgd_f32(float* p, const float* g, float* buf, size_t n, const RowSel& sel, float lr, float momentum,
             float dampening, bool nesterov, float wd, bool first_step) {
  for_ranges(n, sel, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      // wd = 0 leaves g untouched: no NaN from an infinite p, and -0 stays -0 (copyInto relies on exact copies).
      float gi = wd != 0.0f ? g[i] + wd * p[i] : g[i];
      if (buf) {
        float m = first_step ? gi : momentum * buf[i] + (1.0f - dampening) * gi;
        buf[i] = m;
        gi = nesterov ? gi + momentum * m : m;
      }
      p[i] -= lr * gi;
    }
  });
}

void adam_f32(float* p, const float* g, float* m, float* v, size_t n, const RowSel& sel, float lr, float beta1,
              float beta2, float eps, float wd, bool decoupled, double step) {
  const float bc1 = static_cast<float>(1.0 - std::pow(static_cast<double>(beta1), step));
  const float bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(static_cast<double>(beta2), step)));
  const float step_size = lr / bc1;
  const float decay = decoupled ? 1.0f - lr * wd : 1.0f;
  const float l2 = decoupled ? 0.0f : wd;
  const AdamConsts c{beta1, beta2, eps, step_size, bc2_sqrt, decay, l2};
  const KernelTable& kt = kernels();
  for_ranges(n, sel, [&](size_t b, size_t e) { kt.adam(p + b, g + b, m + b, v + b, e - b, c); });
}

void adagrad_f32(float* p, const float* g, float* sum, size_t n, const RowSel& sel, float lr, float eps, float wd,
                 float lr_decay, double step) {
  const float clr = static_cast<float>(lr / (1.0 + (step - 1.0) * lr_decay));
  for_ranges(n, sel, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      float gi = wd != 0.0f ? g[i] + wd * p[i] : g[i];
      float s = sum[i] + gi * gi;
      sum[i] = s;
      p[i] -= clr * gi / (std::sqrt(s) + eps);
    }
  });
}

}  // namespace mtgrad
