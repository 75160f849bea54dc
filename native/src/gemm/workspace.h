// Grow-only, 64-byte (or 2 MiB for big blocks) aligned scratch buffers for packed GEMM panels, reused across calls
// so the hot path never allocates. Big blocks are advised as transparent huge pages (fewer TLB misses while the
// micro-kernel streams the packed panels).
#pragma once
#include <cstddef>

namespace mtgrad {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer();
  // Returns a buffer of at least `floats` floats; contents unspecified.
  float* get(size_t floats);
  size_t capacity_bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace mtgrad
