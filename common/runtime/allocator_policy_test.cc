#include "common/runtime/allocator_policy.h"

#include <malloc.h>
#include <stdlib.h>

#include <memory>
#include <vector>

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

TEST(AllocatorPolicy, KeepsFreedMemoryAtTheTopOfTheHeap) {
  ASSERT_EQ(ApplyAllocatorPolicy(), "4MiB kept");
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

TEST(AllocatorPolicy, AnOperatorsTunableWins) {
  ScopedEnv tunables("GLIBC_TUNABLES", "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=0");
  EXPECT_EQ(ApplyAllocatorPolicy(), "operator's GLIBC_TUNABLES");
}

TEST(AllocatorPolicy, AnOperatorsEnvironmentVariableWins) {
  ScopedEnv threshold("MALLOC_TRIM_THRESHOLD_", "131072");
  EXPECT_EQ(ApplyAllocatorPolicy(), "operator's MALLOC_TRIM_THRESHOLD_");
}

TEST(AllocatorPolicy, OtherTunablesDoNotCount) {
  ScopedEnv tunables("GLIBC_TUNABLES", "glibc.malloc.arena_max=2");
  EXPECT_EQ(ApplyAllocatorPolicy(), "4MiB kept");
}

}  // namespace
}  // namespace baton::runtime
