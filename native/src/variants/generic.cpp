// The generic build of the kernels (target flags set per file in CMakeLists.txt).
#define MTGRAD_VARIANT generic
#define MTGRAD_VARIANT_NAME "generic"
#include "../kernels/variant_body.inc"
