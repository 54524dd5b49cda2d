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
  freer.join();  // More than one cache holds: the rest go to the depot and the allocator.
}

// A block size no other case here uses, so that the depot holds only this case's.
constexpr size_t kDepotCaseSize = 300;

TEST(NodeArena, BlocksFreedBeyondOneThreadsCacheServeAnotherThread) {
  if (!NodeArena::kCaches) GTEST_SKIP() << "no cache under AddressSanitizer";
  constexpr int kBlocks = NodeArena::kCachedPerClass + 4 * NodeArena::kBatch;
  std::vector<void*> made(kBlocks);
  for (void*& block : made) block = NodeArena::Allocate(kDepotCaseSize);
  // Freed on another thread: its cache fills, and the rest goes to the depot in batches.
  std::thread freer([&] {
    for (void* block : made) NodeArena::Free(block, kDepotCaseSize);
  });
  freer.join();
  // The freer's cache held kCachedPerClass; the rest went to the depot.
  EXPECT_EQ(NodeArena::DepotBatches(kDepotCaseSize), 4);
  const std::set<void*> freed(made.begin(), made.end());
  // This thread's cache of that size is empty: it takes the batches from the depot.
  // (The address check alone could pass by the allocator reusing the freed blocks; the
  // depot's count is what shows the blocks came through it.)
  std::vector<void*> again(4 * NodeArena::kBatch);
  for (void*& block : again) {
    block = NodeArena::Allocate(kDepotCaseSize);
    EXPECT_TRUE(freed.count(block) == 1) << "a block the other thread freed, not a new one";
  }
  EXPECT_EQ(NodeArena::DepotBatches(kDepotCaseSize), 0);
  for (void* block : again) NodeArena::Free(block, kDepotCaseSize);
}

TEST(NodeArena, TheDepotIsBounded) {
  if (!NodeArena::kCaches) GTEST_SKIP() << "no cache under AddressSanitizer";
  constexpr size_t kSize = 400;  // A size class no other case uses.
  constexpr int kBlocks =
      NodeArena::kCachedPerClass + (NodeArena::kDepotBatches + 3) * NodeArena::kBatch;
  std::vector<void*> made(kBlocks);
  for (void*& block : made) block = NodeArena::Allocate(kSize);
  std::thread freer([&] {
    for (void* block : made) NodeArena::Free(block, kSize);
  });
  freer.join();
  // The batches beyond the bound went back to the allocator.
  EXPECT_EQ(NodeArena::DepotBatches(kSize), NodeArena::kDepotBatches);
}

}  // namespace
}  // namespace baton::context_internal
