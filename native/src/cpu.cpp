// Picks the kernel table by cpuid (__builtin_cpu_supports) on x86-64; other CPUs get the portable build.
#include "cpu.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace mtgrad {
namespace {

struct Choice {
  const KernelTable* table;
  std::string description;
};

Choice choose() {
  const char* forced = std::getenv("MTGRAD_ISA");
  std::string features;
  const KernelTable* best = table_generic();
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  bool avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
  features = std::string("x86-64") + (avx2 ? " avx2 fma" : "") + (avx512 ? " avx512f/dq/vl/bw" : "");
  if (avx512) best = table_avx512();
  else if (avx2) best = table_avx2();
  std::string note;
  if (forced) {
    // Only honour a request the CPU can run; anything else keeps the best choice, and the description says so.
    if (!std::strcmp(forced, "generic")) best = table_generic();
    else if (!std::strcmp(forced, "avx2") && avx2) best = table_avx2();
    else if (!(!std::strcmp(forced, "avx512") && avx512))
      note = std::string(", MTGRAD_ISA='") + forced + "' ignored: expected generic, avx2 or avx512, one this CPU runs";
  }
#else
  features = "portable";
  std::string note = forced ? std::string(", MTGRAD_ISA ignored on this CPU") : std::string();
#endif
  return {best, std::string("kernels=") + best->name + " (cpu: " + features + note + ")"};
}

const Choice& choice() {
  static const Choice c = choose();
  return c;
}

}  // namespace

const KernelTable& kernels() { return *choice().table; }
const char* cpu_description() { return choice().description.c_str(); }

}  // namespace mtgrad
