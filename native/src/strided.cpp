// Strided copies (permute, broadcastTo, slice, sliceWrite, concat: every data-movement kernel that is a pure copy
// between two strided views of the same shape) and the broadcasting `where` select. Copies are dtype-agnostic
// (4- or 8-byte elements). Geometry has been validated by the bindings: every position either view reaches lies
// inside its array.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "ops.h"
#include "thread_pool.h"

namespace mtgrad {
namespace {

// The view after dropping size-1 axes and merging neighbours that every operand walks as one run. Returns false
// when the view is empty. `strides` holds one stride set per operand.
bool simplify(int nd, const long* shape, std::vector<const long*> strides, std::vector<long>& dims,
              std::vector<std::vector<long>>& out_strides) {
  const size_t ops = strides.size();
  dims.clear();
  out_strides.assign(ops, {});
  for (int i = 0; i < nd; ++i) {
    if (shape[i] == 0) return false;
    if (shape[i] == 1) continue;
    bool merge = !dims.empty();
    for (size_t o = 0; merge && o < ops; ++o) merge = out_strides[o].back() == strides[o][i] * shape[i];
    if (merge) {
      dims.back() *= shape[i];
      for (size_t o = 0; o < ops; ++o) out_strides[o].back() = strides[o][i];
      continue;
    }
    dims.push_back(shape[i]);
    for (size_t o = 0; o < ops; ++o) out_strides[o].push_back(strides[o][i]);
  }
  if (dims.empty()) {  // a single element
    dims.push_back(1);
    for (size_t o = 0; o < ops; ++o) out_strides[o].push_back(0);
  }
  return true;
}

// Walks rows [r0, r1) of the outer axes (all but the last) with an odometer; fn(row, offsets...) per row.
template <size_t N, typename F>
void walk_rows(const std::vector<long>& dims, const std::vector<std::vector<long>>& st, const long* base, size_t r0,
               size_t r1, F&& fn) {
  const int nd = static_cast<int>(dims.size());
  long idx[64] = {0};
  long off[N];
  for (size_t o = 0; o < N; ++o) off[o] = base[o];
  size_t rem = r0;
  for (int d = nd - 2; d >= 0; --d) {
    idx[d] = static_cast<long>(rem % static_cast<size_t>(dims[static_cast<size_t>(d)]));
    rem /= static_cast<size_t>(dims[static_cast<size_t>(d)]);
    for (size_t o = 0; o < N; ++o) off[o] += idx[d] * st[o][static_cast<size_t>(d)];
  }
  for (size_t r = r0; r < r1; ++r) {
    fn(off);
    for (int d = nd - 2; d >= 0; --d) {
      const size_t du = static_cast<size_t>(d);
      for (size_t o = 0; o < N; ++o) off[o] += st[o][du];
      if (++idx[d] < dims[du]) break;
      for (size_t o = 0; o < N; ++o) off[o] -= st[o][du] * dims[du];
      idx[d] = 0;
    }
  }
}

// Copy where the source's innermost stride is not 1 and some outer axis of it is (a transpose): 32x32 tiles read
// along that axis and written along the inner one, so both sides touch whole cache lines.
template <typename T>
bool tiled_transpose(const T* src, T* dst, const std::vector<long>& dims, const std::vector<std::vector<long>>& st,
                     long src_base, long dst_base) {
  const size_t nd = dims.size();
  if (nd < 2 || st[0][nd - 1] == 1 || st[1][nd - 1] != 1) return false;
  size_t ax = nd;  // the outer axis along which the source is contiguous
  for (size_t d = 0; d + 1 < nd; ++d)
    if (st[0][d] == 1) ax = d;
  if (ax == nd || dims[ax] < 8 || dims[nd - 1] < 8) return false;
  // Outer iteration over every axis except `ax` and the inner one.
  std::vector<long> odims, os_src, os_dst;
  for (size_t d = 0; d + 1 < nd; ++d)
    if (d != ax) {
      odims.push_back(dims[d]);
      os_src.push_back(st[0][d]);
      os_dst.push_back(st[1][d]);
    }
  size_t outer = 1;
  for (long x : odims) outer *= static_cast<size_t>(x);
  const long R = dims[ax], C = dims[nd - 1];
  const long sr = st[0][ax], dr = st[1][ax];  // sr == 1
  const long sc = st[0][nd - 1];               // dst inner stride is 1
  const long TB = 32;
  const long rt = (R + TB - 1) / TB;
  const size_t tasks = outer * static_cast<size_t>(rt);
  const size_t grain = std::max<size_t>(1, kParallelElements / static_cast<size_t>(TB * C));
  parallel_for(tasks, grain, [&](size_t t0, size_t t1) {
    for (size_t t = t0; t < t1; ++t) {
      size_t o = t / static_cast<size_t>(rt);
      long r0 = static_cast<long>(t % static_cast<size_t>(rt)) * TB, r1 = std::min(R, r0 + TB);
      long so = src_base, dso = dst_base;
      size_t rem = o;
      for (size_t d = odims.size(); d-- > 0;) {
        long i = static_cast<long>(rem % static_cast<size_t>(odims[d]));
        rem /= static_cast<size_t>(odims[d]);
        so += i * os_src[d];
        dso += i * os_dst[d];
      }
      for (long c0 = 0; c0 < C; c0 += TB) {
        long c1 = std::min(C, c0 + TB);
        for (long r = r0; r < r1; ++r) {
          const T* s = src + so + r * sr;
          T* dp = dst + dso + r * dr;
          for (long c = c0; c < c1; ++c) dp[c] = s[c * sc];
        }
      }
    }
  });
  (void)sr;
  return true;
}

template <typename T>
void copy_typed(const T* src, T* dst, const std::vector<long>& dims, const std::vector<std::vector<long>>& st,
                long src_base, long dst_base) {
  if (tiled_transpose(src, dst, dims, st, src_base, dst_base)) return;
  const long inner = dims.back();
  const long si = st[0].back(), di = st[1].back();
  size_t total = 1;
  for (long x : dims) total *= static_cast<size_t>(x);
  const size_t rows = total / static_cast<size_t>(inner);
  const size_t grain = std::max<size_t>(1, kParallelElements / static_cast<size_t>(inner));
  const long base[2] = {src_base, dst_base};
  parallel_for(rows, grain, [&](size_t r0, size_t r1) {
    walk_rows<2>(dims, st, base, r0, r1, [&](const long* off) {
      const T* s = src + off[0];
      T* d = dst + off[1];
      if (si == 1 && di == 1) {
        std::memcpy(d, s, sizeof(T) * static_cast<size_t>(inner));
      } else if (si == 0 && di == 1) {
        std::fill(d, d + inner, *s);
      } else if (di == 1) {
        for (long j = 0; j < inner; ++j) d[j] = s[j * si];
      } else {
        for (long j = 0; j < inner; ++j) d[j * di] = s[j * si];
      }
    });
  });
}

// One output run of where: branch-free (a random mask would mispredict every other element) through an all-ones
// / all-zeros bit mask per element, so each loop shape vectorises. NaN counts as true (NaN != 0), -0 as false.
template <typename C, typename V>
void where_run(const C* __restrict c, long ic, const V* __restrict a, long ia, const V* __restrict b, long ib,
               V* __restrict o, long n) {
  if (ic == 1 && ia == 1 && ib == 1) {
    for (long j = 0; j < n; ++j) {
      const V m = static_cast<V>(0) - static_cast<V>(c[j] != 0);
      o[j] = (a[j] & m) | (b[j] & ~m);
    }
  } else if (ic == 1 && ia == 1 && ib == 0) {  // where(mask, x, scalar): e.g. the relu gradient
    const V bv = *b;
    for (long j = 0; j < n; ++j) {
      const V m = static_cast<V>(0) - static_cast<V>(c[j] != 0);
      o[j] = (a[j] & m) | (bv & ~m);
    }
  } else if (ic == 1 && ia == 0 && ib == 1) {
    const V av = *a;
    for (long j = 0; j < n; ++j) {
      const V m = static_cast<V>(0) - static_cast<V>(c[j] != 0);
      o[j] = (av & m) | (b[j] & ~m);
    }
  } else {
    for (long j = 0; j < n; ++j) o[j] = c[j * ic] != 0 ? a[j * ia] : b[j * ib];
  }
}

template <typename C, typename V>
void where_typed(const C* cond, const V* a, const V* b, V* out, const std::vector<long>& dims,
                 const std::vector<std::vector<long>>& st) {
  const long inner = dims.back();
  const long ic = st[0].back(), ia = st[1].back(), ib = st[2].back();
  size_t total = 1;
  for (long x : dims) total *= static_cast<size_t>(x);
  const size_t rows = total / static_cast<size_t>(inner);
  const size_t grain = std::max<size_t>(1, kParallelElements / static_cast<size_t>(inner));
  const long base[4] = {0, 0, 0, 0};
  parallel_for(rows, grain, [&](size_t r0, size_t r1) {
    walk_rows<4>(dims, st, base, r0, r1, [&](const long* off) {
      where_run(cond + off[0], ic, a + off[1], ia, b + off[2], ib, out + off[3], inner);
    });
  });
}

}  // namespace

void strided_copy(const void* src, void* dst, size_t elem, int nd, const long* shape, const long* src_strides,
                  long src_base, const long* dst_strides, long dst_base) {
  std::vector<long> dims;
  std::vector<std::vector<long>> st;
  if (!simplify(nd, shape, {src_strides, dst_strides}, dims, st)) return;
  if (elem == 8)
    copy_typed(static_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst), dims, st, src_base, dst_base);
  else
    copy_typed(static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst), dims, st, src_base, dst_base);
}

void where_select(const void* cond, int cond_dtype, const void* a, const void* b, void* out, size_t elem, int nd,
                  const long* shape, const long* cond_strides, const long* a_strides, const long* b_strides) {
  std::vector<long> dense(static_cast<size_t>(nd));
  long s = 1;
  for (int i = nd - 1; i >= 0; --i) {
    dense[static_cast<size_t>(i)] = s;
    s *= shape[i];
  }
  std::vector<long> dims;
  std::vector<std::vector<long>> st;
  if (!simplify(nd, shape, {cond_strides, a_strides, b_strides, dense.data()}, dims, st)) return;
  auto run = [&](auto* c) {
    if (elem == 8)
      where_typed(c, static_cast<const uint64_t*>(a), static_cast<const uint64_t*>(b), static_cast<uint64_t*>(out),
                  dims, st);
    else
      where_typed(c, static_cast<const uint32_t*>(a), static_cast<const uint32_t*>(b), static_cast<uint32_t*>(out),
                  dims, st);
  };
  if (cond_dtype == 0) run(static_cast<const float*>(cond));
  else if (cond_dtype == 1) run(static_cast<const double*>(cond));
  else run(static_cast<const int32_t*>(cond));
}

}  // namespace mtgrad
