// Elementwise drivers: contiguous runs go straight to the per-ISA kernels; broadcasting is resolved into
// (outer multi-index) x (inner run) where each operand's inner stride is 0 or 1.
#include <algorithm>
#include <vector>

#include "cpu.h"
#include "ops.h"
#include "thread_pool.h"

namespace mtgrad {

void unary_f32(int op, const float* x, float* y, size_t n, float alpha) {
  const KernelTable& kt = kernels();
  parallel_for(n, kParallelElements, [&](size_t b, size_t e) { kt.unary(op, x + b, y + b, e - b, alpha); });
}

void bce_f32(const float* x, const float* t, float* y, size_t n, bool grad) {
  const KernelTable& kt = kernels();
  parallel_for(n, kParallelElements, [&](size_t b, size_t e) { kt.bce(x + b, t + b, y + b, e - b, grad); });
}

void binary_f32(int op, const float* a, const float* b, float* y, const long* a_shape, const long* b_shape,
                const long* out_shape, int ndim) {
  // Row-major strides, 0 on broadcast dims; size-1 output dims dropped.
  std::vector<long> dims, sa, sb;
  long stride_a = 1, stride_b = 1;
  std::vector<long> ra(static_cast<size_t>(ndim)), rb(static_cast<size_t>(ndim));
  for (int i = ndim - 1; i >= 0; --i) {
    ra[static_cast<size_t>(i)] = a_shape[i] == 1 ? 0 : stride_a;
    rb[static_cast<size_t>(i)] = b_shape[i] == 1 ? 0 : stride_b;
    stride_a *= a_shape[i];
    stride_b *= b_shape[i];
  }
  size_t total = 1;
  for (int i = 0; i < ndim; ++i) {
    total *= static_cast<size_t>(out_shape[i]);
    if (out_shape[i] == 1) continue;
    long sai = ra[static_cast<size_t>(i)], sbi = rb[static_cast<size_t>(i)];
    // Merge with the previous kept dim when both operands walk the pair as one contiguous (or broadcast) run.
    if (!dims.empty() && sa.back() == sai * out_shape[i] && sb.back() == sbi * out_shape[i]) {
      dims.back() *= out_shape[i];
      sa.back() = sai;
      sb.back() = sbi;
      continue;
    }
    dims.push_back(out_shape[i]);
    sa.push_back(sai);
    sb.push_back(sbi);
  }
  if (total == 0) return;
  const KernelTable& kt = kernels();
  if (dims.empty()) {  // every dim is 1: a single element
    kt.binary(op, a, 0, b, 0, y, 1);
    return;
  }
  const int nd = static_cast<int>(dims.size());
  const long inner = dims.back();
  const size_t ia = static_cast<size_t>(sa.back()), ib = static_cast<size_t>(sb.back());
  const size_t rows = total / static_cast<size_t>(inner);
  size_t grain = std::max<size_t>(1, kParallelElements / static_cast<size_t>(inner));
  parallel_for(rows, grain, [&](size_t r0, size_t r1) {
    // Multi-index of row r0 over the outer dims, then an odometer walk.
    std::vector<long> idx(static_cast<size_t>(nd), 0);
    long offa = 0, offb = 0;
    size_t rem = r0;
    for (int d = nd - 2; d >= 0; --d) {
      idx[static_cast<size_t>(d)] = static_cast<long>(rem % static_cast<size_t>(dims[static_cast<size_t>(d)]));
      rem /= static_cast<size_t>(dims[static_cast<size_t>(d)]);
      offa += idx[static_cast<size_t>(d)] * sa[static_cast<size_t>(d)];
      offb += idx[static_cast<size_t>(d)] * sb[static_cast<size_t>(d)];
    }
    for (size_t r = r0; r < r1; ++r) {
      kt.binary(op, a + offa, ia, b + offb, ib, y + r * static_cast<size_t>(inner), static_cast<size_t>(inner));
      for (int d = nd - 2; d >= 0; --d) {
        size_t du = static_cast<size_t>(d);
        offa += sa[du];
        offb += sb[du];
        if (++idx[du] < dims[du]) break;
        offa -= sa[du] * dims[du];
        offb -= sb[du] * dims[du];
        idx[du] = 0;
      }
    }
  });
}

}  // namespace mtgrad
