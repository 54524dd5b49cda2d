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
  // Each of glibc's settings the policy makes, as an environment variable and as a
  // tunable.
  constexpr struct {
    const char* variable;
    std::string_view tunable;
  } kSettings[] = {{"MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold"},
                   {"MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold"},
                   {"MALLOC_TOP_PAD_", "glibc.malloc.top_pad"},
                   {"MALLOC_MMAP_MAX_", "glibc.malloc.mmap_max"}};
  for (const auto& setting : kSettings) {
    if (std::getenv(setting.variable) != nullptr) {
      return absl::StrCat("operator's ", setting.variable);
    }
  }
  if (const char* tunables = std::getenv("GLIBC_TUNABLES"); tunables != nullptr) {
    for (const auto& setting : kSettings) {
      if (std::string_view(tunables).find(setting.tunable) != std::string_view::npos) {
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
