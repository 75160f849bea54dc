// The avx2 build of the kernels (target flags set per file in CMakeLists.txt).
#define MTGRAD_VARIANT avx2
#define MTGRAD_VARIANT_NAME "avx2"
#include "../kernels/variant_body.inc"
