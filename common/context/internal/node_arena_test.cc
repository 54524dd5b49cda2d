#include "common/context/internal/node_arena.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace baton::context_internal {
namespace {

struct Probe {
  explicit Probe(int* live) : live(live) { ++*live; }
  ~Probe() { --*live; }
  int* live;
  char payload[100];
};

TEST(NodeArena, ConstructsAndDestroys) {
  int live = 0;
  Probe* probe = MakeInArena<Probe>(&live);
  EXPECT_EQ(live, 1);
  DestroyInArena(probe);
  EXPECT_EQ(live, 0);
}

TEST(NodeArena, BlocksAreDistinctAndWritable) {
  std::vector<void*> blocks;
  std::set<void*> distinct;
  for (size_t size : {1, 64, 65, 200, 512, 513, 4096}) {
    for (int i = 0; i < 50; ++i) {
      void* block = NodeArena::Allocate(size);
      std::memset(block, 0xAB, size);
      EXPECT_TRUE(distinct.insert(block).second);
      blocks.push_back(block);
    }
    for (void* block : blocks) NodeArena::Free(block, size);
    blocks.clear();
    distinct.clear();
  }
}

TEST(NodeArena, FreedBlockIsReusedOnTheSameThread) {
  if (!NodeArena::kCaches) GTEST_SKIP() << "no cache under AddressSanitizer";
  void* first = NodeArena::Allocate(100);
  NodeArena::Free(first, 100);
  void* second = NodeArena::Allocate(100);
  EXPECT_EQ(first, second);
  NodeArena::Free(second, 100);
}

TEST(NodeArena, BlocksMayBeFreedOnAnotherThreadAndThreadsExitCleanly) {
  std::vector<void*> blocks(2000);
  std::thread maker([&] {
    for (void*& block : blocks) block = NodeArena::Allocate(128);
  });
  maker.join();  // The maker's cache is drained at its exit.
  std::thread freer([&] {
    for (void* block : blocks) NodeArena::Free(block, 128);
  });
  freer.join();  // More than one cache holds: the rest go back to the allocator.
}

}  // namespace
}  // namespace baton::context_internal
