#include "common/runtime/allocator_policy.h"

#include <cstdlib>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace baton::runtime {

std::string ApplyAllocatorPolicy() {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr) {
    return "operator's MALLOC_TRIM_THRESHOLD_";
  }
  if (const char* tunables = std::getenv("GLIBC_TUNABLES");
      tunables != nullptr &&
      std::string_view(tunables).find("glibc.malloc.trim_threshold") != std::string_view::npos) {
    return "operator's GLIBC_TUNABLES";
  }
  if (mallopt(M_TRIM_THRESHOLD, static_cast<int>(kRetainedFreeBytes)) != 1) {
    return "refused by malloc";
  }
  return "4MiB kept";
#else
  return "not glibc";
#endif
}

}  // namespace baton::runtime
