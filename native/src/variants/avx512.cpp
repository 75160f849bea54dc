// The avx512 build of the kernels (target flags set per file in CMakeLists.txt).
#define MTGRAD_VARIANT avx512
#define MTGRAD_VARIANT_NAME "avx512"
#include "../kernels/variant_body.inc"
