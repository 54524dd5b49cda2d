#include "common/runtime/allocator_policy.h"

#include <cstdlib>
#include <string_view>

#include "absl/strings/str_cat.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace baton::runtime {

std::string ApplyAllocatorPolicy() {
#if defined(__GLIBC__)
  for (const char* variable : {"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_",
                               "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"}) {
    if (std::getenv(variable) != nullptr) return absl::StrCat("operator's ", variable);
  }
  if (const char* tunables = std::getenv("GLIBC_TUNABLES"); tunables != nullptr) {
    for (std::string_view tunable : {"glibc.malloc.trim_threshold", "glibc.malloc.mmap_threshold",
                                     "glibc.malloc.top_pad", "glibc.malloc.mmap_max"}) {
      if (std::string_view(tunables).find(tunable) != std::string_view::npos) {
        return "operator's GLIBC_TUNABLES";
      }
    }
  }
  const int bytes = static_cast<int>(kRetainedFreeBytes);
  if (mallopt(M_TRIM_THRESHOLD, bytes) != 1 || mallopt(M_MMAP_THRESHOLD, bytes) != 1) {
    return "refused by malloc";
  }
  return absl::StrCat(kRetainedFreeBytes >> 20, "MiB kept");
#else
  return "not glibc";
#endif
}

}  // namespace baton::runtime
