// Drivers for the non-GEMM kernels: they split work over the thread pool and call the per-ISA kernel table.
// Every argument has been validated by the bindings (sizes match, indices checked where noted).
#pragma once
#include <cstddef>
#include <cstdint>

namespace mtgrad {

// Elementwise work below this many elements runs on the calling thread: waking a sleeping worker costs ~25 µs
// on the development VM, about what one AVX-512 core needs for 2^18 simple elementwise operations.
constexpr size_t kParallelElements = size_t(1) << 18;

// ---- elementwise (elementwise.cpp) ----
void unary_f32(int op, const float* x, float* y, size_t n, float alpha);
// Broadcasting binary op; shapes have `ndim` dims, broadcast dims are 1 in the input shapes.
void binary_f32(int op, const float* a, const float* b, float* y, const long* a_shape, const long* b_shape,
                const long* out_shape, int ndim);
void bce_f32(const float* x, const float* t, float* y, size_t n, bool grad);

// ---- reductions (reduce.cpp): x viewed as [outer, n, inner] ----
enum ReduceOp : int { R_SUM, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN };
// out is float* for sum/prod/max/min, int32_t* for argmax/argmin.
void reduce_f32(int op, const float* x, void* out, long outer, long n, long inner);
void softmax_f32(const float* x, float* y, long rows, long n, bool log);

// ---- data movement (movement.cpp) ----
// Returns the position of the first out-of-range index, or -1 when all are in [0, n).
long check_indices(const int32_t* idx, long m, long n);
// Element size in bytes (4 or 8); indices already checked.
void gather(const void* x, const int32_t* idx, void* out, long outer, long n, long inner, long m, size_t elem);
void scatter_add_f32(const float* src, const int32_t* idx, float* out, long outer, long n, long inner, long m);
void scatter_add_f64(const double* src, const int32_t* idx, double* out, long outer, long n, long inner, long m);
// Copies a strided view into another of the same shape: dst[dst_base + Σ j_d·dst_strides_d] =
// src[src_base + Σ j_d·src_strides_d] for every index j of `shape` (nd <= 32 axes, elements of `elem` = 4 or 8 bytes).
// Non-negative strides; bounds checked by the binding.
void strided_copy(const void* src, void* dst, size_t elem, int nd, const long* shape, const long* src_strides,
                  long src_base, const long* dst_strides, long dst_base);
// out (dense, shape) = cond != 0 ? a : b, each input read through broadcast strides (0 on broadcast axes).
// cond_dtype: 0 float32, 1 float64, 2 int32; a, b, out share one element size.
void where_select(const void* cond, int cond_dtype, const void* a, const void* b, void* out, size_t elem, int nd,
                  const long* shape, const long* cond_strides, const long* a_strides, const long* b_strides);
// dtype codes: 0 float32, 1 float64, 2 int32. float -> int32 follows JavaScript's ToInt32 (truncate, wrap mod 2^32,
// NaN/±inf -> 0), which is what storing into an Int32Array does.
void cast(const void* x, int from, void* out, int to, size_t n);

// ---- random (random.cpp) ----
enum RandomDist : int { DIST_UNIFORM, DIST_NORMAL, DIST_RANDINT };
void philox4x32(uint32_t c0, uint32_t c1, uint32_t k0, uint32_t k1, uint32_t out[4]);
void random_fill(void* out, int dtype, size_t n, int dist, uint32_t seed_lo, uint32_t seed_hi, uint64_t offset,
                 double a, double b);

// ---- fused (fused.cpp) ----
// T gate sets over E experts of B rows of width D; expert q's row r starts at q*stride_e + r*stride_b.
struct MixtureDims {
  long e, b, d, t;
  long stride_e, stride_b;
  bool relu;  // the experts are read through relu; gExperts is masked by experts > 0 (MixtureParams.activation)
};
void gated_mixture_f32(const float* experts, const float* logits, float* out, float* weights, const MixtureDims& m);
void gated_mixture_backward_f32(const float* g_out, const float* experts, const float* weights, float* g_experts,
                                float* g_logits, const MixtureDims& m);

// ---- optimizers (optim.cpp), in place; rows == nullptr updates everything ----
struct RowSel {
  bool active;          // false: update every element
  const int32_t* rows;  // `count` row indices of a [n / row_size, row_size] view (may be null when count = 0)
  long count, row_size;
};
// First position of a row outside [0, n) other than -1 (padding, skipped by the updates), or -1 when all are fine.
long check_rows(const int32_t* rows, long m, long n);
void sgd_f32(float* p, const float* g, float* buf, size_t n, const RowSel& sel, float lr, float momentum,
             float dampening, bool nesterov, float wd, bool first_step);
void adam_f32(float* p, const float* g, float* m, float* v, size_t n, const RowSel& sel, float lr, float beta1,
              float beta2, float eps, float wd, bool decoupled, double step);
void adagrad_f32(float* p, const float* g, float* sum, size_t n, const RowSel& sel, float lr, float eps, float wd,
                 float lr_decay, double step);

}  // namespace mtgrad
