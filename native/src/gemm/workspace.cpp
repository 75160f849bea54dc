#include "workspace.h"

#include <cstdlib>
#include <new>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mtgrad {

AlignedBuffer::~AlignedBuffer() { std::free(ptr_); }

float* AlignedBuffer::get(size_t floats) {
  size_t need = floats * sizeof(float);
  if (need <= bytes_ && ptr_) return static_cast<float*>(ptr_);
  std::free(ptr_);
  ptr_ = nullptr;
  bytes_ = 0;
  const size_t huge = size_t(2) << 20;
  size_t align = need >= huge ? huge : 64;
  size_t bytes = (need + align - 1) / align * align;
  if (bytes == 0) bytes = align;
  ptr_ = std::aligned_alloc(align, bytes);
  if (!ptr_) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (align == huge) madvise(ptr_, bytes, MADV_HUGEPAGE);
#endif
  bytes_ = bytes;
  return static_cast<float*>(ptr_);
}

}  // namespace mtgrad
