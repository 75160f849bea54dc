// Runtime CPU dispatch: the kernel table chosen once at load from what the CPU supports.
#pragma once
#include "kernel_table.h"

namespace mtgrad {
// The active table (best supported, or the one named by MTGRAD_ISA=generic|avx2|avx512 when supported).
const KernelTable& kernels();
// A short description: chosen ISA and detected features.
const char* cpu_description();
}  // namespace mtgrad
