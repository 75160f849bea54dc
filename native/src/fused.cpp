// The mixture-of-experts gate, fused: for T gate sets (tasks) sharing E experts, softmax over each gate's logits and
// the weighted sums of the expert outputs in one pass per batch row; the backward writes ONE expert gradient summed
// over the tasks (the composed version materialises [E, B, D] products per task, reads everything twice, and then
// adds the tasks' expert gradients). Expert e's row b is at experts + e*stride_e + b*stride_b (see MixtureLayout).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu.h"
#include "ops.h"
#include "thread_pool.h"

namespace mtgrad {

namespace {

size_t row_grain(const MixtureDims& m) {
  return std::max<size_t>(1, kParallelElements / static_cast<size_t>(std::max<long>(1, m.e * m.d * m.t)));
}

// The forward's rows also pay E exponentials per gate set (a double exp costs about as much as 16 multiply-adds):
// counted in, a small model's mixture (paper-small: E·D·T = 64 elements but 16 exponentials per row) is split over
// the pool as its cost warrants. Rows are independent, so the split changes no result.
// Expert widths up to which the forward mixes inline (below this a kernel-table call per expert costs more than it
// computes).
constexpr long kInlineMixD = 8;

size_t forward_row_grain(const MixtureDims& m) {
  const long work = m.e * m.d * m.t + 16 * m.e * m.t;
  return std::max<size_t>(1, kParallelElements / static_cast<size_t>(std::max<long>(1, work)));
}

}  // namespace

void gated_mixture_f32(const float* experts, const float* logits, float* out, float* weights, const MixtureDims& m) {
  const KernelTable& kt = kernels();
  const auto axpy = m.relu ? kt.axpy_relu : kt.axpy;
  const long e = m.e, b = m.b, d = m.d;
  parallel_for(static_cast<size_t>(b), forward_row_grain(m), [&](size_t r0, size_t r1) {
    // exp(g - max) of one row, computed once (the sum and the weights use the same values): on a small model
    // (paper-small inference) the exponentials were most of the kernel's time.
    std::vector<double> ex(static_cast<size_t>(e));
    for (size_t r = r0; r < r1; ++r) {
      for (long t = 0; t < m.t; ++t) {
        const size_t row = static_cast<size_t>(t * b) + r;
        const float* g = logits + row * static_cast<size_t>(e);
        float* w = weights + row * static_cast<size_t>(e);
        if (e > 0) {
          // Row softmax in double (E is small); NaN logits give NaN weights, as in the reference. The max is taken
          // in float (exactly the same value) with the NaN test off its dependency chain (a compare-and-move
          // chain in double was the kernel's hottest loop).
          float mf = g[0];
          bool nan = false;
          for (long q = 0; q < e; ++q) {
            nan |= g[q] != g[q];
            mf = g[q] > mf ? g[q] : mf;
          }
          const double mx = nan ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(mf);
          double s = 0;
          for (long q = 0; q < e; ++q) s += (ex[static_cast<size_t>(q)] = std::exp(static_cast<double>(g[q]) - mx));
          for (long q = 0; q < e; ++q) w[q] = static_cast<float>(ex[static_cast<size_t>(q)] / s);
        }
        float* o = out + row * static_cast<size_t>(d);
        std::fill(o, o + d, 0.0f);
        // The E expert rows of batch row r are re-read per task from L1/L2 (E·D floats), never from memory twice.
        if (d <= kInlineMixD) {
          // Narrow experts (paper-small: D = 4): an inline loop instead of E calls through the kernel table.
          for (long q = 0; q < e; ++q) {
            const float* x = experts + q * m.stride_e + static_cast<long>(r) * m.stride_b;
            const float wq = w[q];
            if (m.relu)
              for (long j = 0; j < d; ++j) o[j] += wq * (x[j] <= 0.0f ? 0.0f : x[j]);  // relu as mix_read: NaN passes
            else
              for (long j = 0; j < d; ++j) o[j] += wq * x[j];
          }
        } else {
          for (long q = 0; q < e; ++q) axpy(w[q], experts + q * m.stride_e + static_cast<long>(r) * m.stride_b, o, static_cast<size_t>(d));
        }
      }
    }
  });
}

void gated_mixture_backward_f32(const float* g_out, const float* experts, const float* weights, float* g_experts,
                                float* g_logits, const MixtureDims& m) {
  const KernelTable& kt = kernels();
  const auto dot = m.relu ? kt.dot_relu : kt.dot;
  const auto dot4 = m.relu ? kt.dot4_relu : kt.dot4;
  const long e = m.e, b = m.b, d = m.d;
  parallel_for(static_cast<size_t>(b), row_grain(m), [&](size_t r0, size_t r1) {
    std::vector<float> dots(static_cast<size_t>(e));
    const size_t dd = static_cast<size_t>(d);
    for (size_t r = r0; r < r1; ++r) {
      auto x = [&](long q) { return experts + q * m.stride_e + static_cast<long>(r) * m.stride_b; };
      auto gx = [&](long q) { return g_experts + q * m.stride_e + static_cast<long>(r) * m.stride_b; };
      if (dd) for (long q = 0; q < e; ++q) std::memset(gx(q), 0, dd * sizeof(float));  // (D = 0: no rows at all)
      for (long t = 0; t < m.t; ++t) {
        const size_t row = static_cast<size_t>(t * b) + r;
        const float* go = g_out + row * dd;
        const float* w = weights + row * static_cast<size_t>(e);
        long q4 = 0;  // four experts at a time share each load of gOut's row
        for (; q4 + 4 <= e; q4 += 4) dot4(go, x(q4), x(q4 + 1), x(q4 + 2), x(q4 + 3), dd, &dots[static_cast<size_t>(q4)]);
        for (; q4 < e; ++q4) dots[static_cast<size_t>(q4)] = dot(go, x(q4), dd);
        double mean = 0;
        for (long q = 0; q < e; ++q) {
          mean += static_cast<double>(w[q]) * static_cast<double>(dots[static_cast<size_t>(q)]);
          kt.axpy(w[q], go, gx(q), dd);  // the tasks' expert gradients summed in place, in L1
        }
        for (long q = 0; q < e; ++q)
          g_logits[row * static_cast<size_t>(e) + static_cast<size_t>(q)] =
              static_cast<float>(static_cast<double>(w[q]) * (dots[static_cast<size_t>(q)] - mean));
      }
      // The gradient with respect to the pre-activation experts: the row is still in L1.
      if (m.relu)
        for (long q = 0; q < e; ++q) kt.relu_mask(x(q), gx(q), dd);
    }
  });
}

}  // namespace mtgrad
