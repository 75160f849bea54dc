// The mixture-of-experts gate, fused: softmax over the gate logits and the weighted sum of expert outputs in one
// pass per batch row (the composed version materialises [E, B, D] products and reads everything twice).
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu.h"
#include "ops.h"
#include "thread_pool.h"

namespace mtgrad {

void gated_mixture_f32(const float* experts, const float* logits, float* out, float* weights, long e, long b, long d) {
  const KernelTable& kt = kernels();
  size_t grain = std::max<size_t>(1, kParallelElements / static_cast<size_t>(std::max<long>(1, e * d)));
  parallel_for(static_cast<size_t>(b), grain, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) {
      const float* g = logits + r * static_cast<size_t>(e);
      float* w = weights + r * static_cast<size_t>(e);
      if (e > 0) {
        // Row softmax in double (E is small); NaN logits give NaN weights, as in the reference.
        double mx = g[0];
        for (long q = 1; q < e; ++q) mx = (g[q] > mx || g[q] != g[q]) ? g[q] : mx;
        double s = 0;
        for (long q = 0; q < e; ++q) s += std::exp(static_cast<double>(g[q]) - mx);
        for (long q = 0; q < e; ++q) w[q] = static_cast<float>(std::exp(static_cast<double>(g[q]) - mx) / s);
      }
      float* o = out + r * static_cast<size_t>(d);
      std::fill(o, o + d, 0.0f);
      for (long q = 0; q < e; ++q)
        kt.axpy(w[q], experts + (q * b + static_cast<long>(r)) * d, o, static_cast<size_t>(d));
    }
  });
}

void gated_mixture_backward_f32(const float* g_out, const float* experts, const float* weights, float* g_experts,
                                float* g_logits, long e, long b, long d) {
  const KernelTable& kt = kernels();
  size_t grain = std::max<size_t>(1, kParallelElements / static_cast<size_t>(std::max<long>(1, e * d)));
  parallel_for(static_cast<size_t>(b), grain, [&](size_t r0, size_t r1) {
    std::vector<float> dots(static_cast<size_t>(e));
    const size_t dd = static_cast<size_t>(d);
    for (size_t r = r0; r < r1; ++r) {
      const float* go = g_out + r * dd;
      const float* w = weights + r * static_cast<size_t>(e);
      auto row = [&](long q) { return experts + static_cast<size_t>((q * b + static_cast<long>(r)) * d); };
      long q4 = 0;  // four experts at a time share each load of gOut's row
      for (; q4 + 4 <= e; q4 += 4) kt.dot4(go, row(q4), row(q4 + 1), row(q4 + 2), row(q4 + 3), dd, &dots[static_cast<size_t>(q4)]);
      for (; q4 < e; ++q4) dots[static_cast<size_t>(q4)] = kt.dot(go, row(q4), dd);
      double mean = 0;
      for (long q = 0; q < e; ++q) {
        const size_t off = static_cast<size_t>((q * b + static_cast<long>(r)) * d);
        mean += static_cast<double>(w[q]) * static_cast<double>(dots[static_cast<size_t>(q)]);
        float* ge = g_experts + off;
        const float wq = w[q];
        for (long j = 0; j < d; ++j) ge[j] = wq * go[j];
      }
      for (long q = 0; q < e; ++q)
        g_logits[r * static_cast<size_t>(e) + static_cast<size_t>(q)] =
            static_cast<float>(static_cast<double>(w[q]) * (dots[static_cast<size_t>(q)] - mean));
    }
  });
}

}  // namespace mtgrad
