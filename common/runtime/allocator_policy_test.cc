#include "common/runtime/allocator_policy.h"

#include <malloc.h>
#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/config.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace baton::runtime {
namespace {

// The tests share one process: a test that sets a variable removes it again.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { setenv(name, value, 1); }
  ~ScopedEnv() { unsetenv(name_); }

 private:
  const char* name_;
};

// Whether glibc's malloc is the one in use: a sanitizer brings its own.
#if defined(ABSL_HAVE_ADDRESS_SANITIZER) || defined(ABSL_HAVE_THREAD_SANITIZER) || \
    defined(ABSL_HAVE_MEMORY_SANITIZER)
constexpr bool kGlibcMalloc = false;
#else
constexpr bool kGlibcMalloc = true;
#endif

TEST(AllocatorPolicy, KeepsFreedMemoryAtTheTopOfTheHeap) {
  const std::string applied = ApplyAllocatorPolicy();
  if (!kGlibcMalloc) GTEST_SKIP() << "a sanitizer's allocator is in use, not glibc's";
  ASSERT_EQ(applied, "4MiB kept");
  // 2 MiB in blocks small enough to come from the heap, freed newest first: each free
  // joins the top, which glibc's default would have cut back to 128 KiB.
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 512; ++i) {
    blocks.push_back(std::make_unique<char[]>(4096));
    blocks.back()[0] = 1;  // Touched, as a call's memory is.
  }
  while (!blocks.empty()) blocks.pop_back();
  EXPECT_GE(mallinfo2().keepcost, size_t{1} << 20);
}

TEST(AllocatorPolicy, ServesLargeBlocksFromTheHeapUpToWhatItKeeps) {
  const std::string applied = ApplyAllocatorPolicy();
  if (!kGlibcMalloc) GTEST_SKIP() << "a sanitizer's allocator is in use, not glibc's";
  ASSERT_EQ(applied, "4MiB kept");
  // A 256 KiB message buffer, again and again: glibc's fixed default would map each
  // on its own (the threshold no longer adjusts once any is set).
  const size_t mapped_before = mallinfo2().hblks;
  for (int i = 0; i < 8; ++i) {
    auto block = std::make_unique<char[]>(256 << 10);
    block[0] = 1;
    EXPECT_EQ(mallinfo2().hblks, mapped_before);
  }
  // Above it, a block is mapped on its own.
  auto huge = std::make_unique<char[]>(kRetainedFreeBytes + (1 << 20));
  huge[0] = 1;
  EXPECT_EQ(mallinfo2().hblks, mapped_before + 1);
}

TEST(AllocatorPolicy, AnOperatorsTunableWins) {
  ScopedEnv tunables("GLIBC_TUNABLES", "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=0");
  EXPECT_EQ(ApplyAllocatorPolicy(), "operator's GLIBC_TUNABLES");
}

TEST(AllocatorPolicy, AnOperatorsEnvironmentVariableWins) {
  for (const char* variable : {"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"}) {
    ScopedEnv threshold(variable, "131072");
    EXPECT_EQ(ApplyAllocatorPolicy(), std::string("operator's ") + variable);
  }
}

TEST(AllocatorPolicy, OtherTunablesDoNotCount) {
  ScopedEnv tunables("GLIBC_TUNABLES", "glibc.malloc.arena_max=2");
  const std::string applied = ApplyAllocatorPolicy();
  EXPECT_FALSE(absl::StartsWith(applied, "operator's")) << applied;
  if (kGlibcMalloc) {
    EXPECT_EQ(applied, "4MiB kept");
  }
}

}  // namespace
}  // namespace baton::runtime
